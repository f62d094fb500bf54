/// `--explicit-exit-notify n` (PROTOCOL.md §7.6): on SIGTERM send OCC_EXIT at once and then every second,
/// and exit n seconds after the signal.
public struct ExitNotifySequence: Sendable, Hashable {
    public enum Action: Sendable, Hashable {
        case sendOCCExit
        case exit
        /// Nothing yet; poll again at `nextDeadline`.
        case wait
    }

    public let seconds: Int64
    public let start: Int64
    private var lastSent: Int64?
    private var finished = false

    /// Corresponds to OpenVPN `--explicit-exit-notify [n]` (n defaults to 1; UDP only).
    public init(seconds: Int64 = 1, now: Int64) {
        precondition(seconds >= 0)
        self.seconds = seconds
        self.start = now
    }

    public mutating func poll(now: Int64) -> Action {
        guard !finished else { return .wait }
        if let lastSent, now < lastSent + 1 { return .wait }
        if now >= start + seconds {
            finished = true
            return .exit
        }
        lastSent = now
        return .sendOCCExit
    }

    public var nextDeadline: Int64? {
        guard !finished else { return nil }
        guard let lastSent else { return start }
        return lastSent + 1
    }
}
