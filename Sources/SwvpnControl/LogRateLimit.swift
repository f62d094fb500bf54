/// At most `burst` messages of one kind per `intervalSeconds`, the rest counted and summed into one
/// line: what keeps a peer (or anyone, on an open port) from writing the journal at its own pace by
/// opening and dropping connections. Fixed windows on the caller's clock; no allocation.
public struct LogRateLimit: Sendable, Hashable {
    public enum Decision: Sendable, Hashable {
        /// Log this message; `suppressedBefore` messages of an earlier window were not logged and
        /// not reported yet (say so first).
        case log(suppressedBefore: Int)
        /// Count it, do not log it.
        case suppress
    }

    public let burst: Int
    public let intervalSeconds: Int64
    private var windowStart = Int64.min
    private var logged = 0
    private var suppressed = 0

    public init(burst: Int, intervalSeconds: Int64) {
        precondition(burst > 0 && intervalSeconds > 0)
        self.burst = burst
        self.intervalSeconds = intervalSeconds
    }

    /// One more message at `now`.
    public mutating func admit(now: Int64) -> Decision {
        let carried = windowOver(now) ? openWindow(now) : 0
        guard logged < burst else {
            suppressed += 1
            return .suppress
        }
        logged += 1
        return .log(suppressedBefore: carried)
    }

    /// At a tick: the number of messages suppressed in a window that is over (then forgotten), nil
    /// when there is nothing to report.
    public mutating func flush(now: Int64) -> Int? {
        guard suppressed > 0, windowOver(now) else { return nil }
        let count = suppressed
        suppressed = 0
        return count
    }

    private func windowOver(_ now: Int64) -> Bool {
        windowStart == Int64.min || now - windowStart >= intervalSeconds
    }

    /// Starts a window at `now`; returns what the last one suppressed and nobody reported.
    private mutating func openWindow(_ now: Int64) -> Int {
        let carried = suppressed
        windowStart = now
        logged = 0
        suppressed = 0
        return carried
    }
}
