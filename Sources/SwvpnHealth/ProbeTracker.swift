/// The probe's bookkeeping: which sequence was sent when, which came back, and the statistics.
/// Time is passed in (monotonic nanoseconds), so it is tested without a clock.
public struct ProbeTracker: Sendable {
    public let intervalSeconds: Int
    /// Loss is measured over this many probes.
    public let window: Int

    private struct Probe {
        var sequence: UInt16
        var sentAt: Int64
        var repliedAt: Int64?
    }
    private var recent: [Probe] = []
    private var nextSequence: UInt16 = 1
    private var sent: UInt64 = 0
    private var received: UInt64 = 0
    private var lastReplyAt: Int64?
    private var lastRTT: Int64?

    public init(intervalSeconds: Int, window: Int = 10) {
        self.intervalSeconds = max(intervalSeconds, 1)
        self.window = window
    }

    private var intervalNanos: Int64 { Int64(intervalSeconds) * 1_000_000_000 }

    /// A reply later than this counts the probe as lost (one interval, at least a second).
    public var timeoutNanoseconds: Int64 { intervalNanos }

    /// The latest reply must be at most this old for the probe to be healthy: two and a half intervals.
    /// One lost probe leaves the age near two intervals (healthy, with half an interval for a late tick);
    /// two lost in a row make it unhealthy, 1.5 to 2.5 intervals after the link broke.
    public var thresholdMilliseconds: Int64 { Int64(intervalSeconds) * 2_500 }

    /// Whether a probe is due at `now` (one per interval; a caller ticking once a second may run a
    /// little early, hence the quarter-second slack).
    public func isDue(now: Int64) -> Bool {
        guard let last = recent.last else { return true }
        return now - last.sentAt >= intervalNanos - 250_000_000
    }

    /// Records a probe sent at `now`; returns its sequence number.
    public mutating func send(now: Int64) -> UInt16 {
        let sequence = nextSequence
        nextSequence = nextSequence == .max ? 1 : nextSequence + 1
        recent.append(Probe(sequence: sequence, sentAt: now))
        if recent.count > window + 1 { recent.removeFirst(recent.count - window - 1) }
        sent += 1
        return sequence
    }

    /// Records a reply; false when it matches no recent unanswered probe (duplicate, too old).
    @discardableResult
    public mutating func reply(sequence: UInt16, now: Int64) -> Bool {
        guard let i = recent.lastIndex(where: { $0.sequence == sequence }), recent[i].repliedAt == nil else {
            return false
        }
        recent[i].repliedAt = now
        received += 1
        lastReplyAt = now
        lastRTT = now - recent[i].sentAt
        return true
    }

    /// A new session: the counts stay (they are totals), the loss window and last reply start over.
    public mutating func reset() {
        recent.removeAll()
        lastReplyAt = nil
        lastRTT = nil
    }

    public func statistics(now: Int64) -> ProbeStatistics {
        // Settled probes: answered, or unanswered for longer than the timeout.
        let settled = recent.filter { $0.repliedAt != nil || now - $0.sentAt > timeoutNanoseconds }.suffix(window)
        let lost = settled.filter { $0.repliedAt == nil || $0.repliedAt! - $0.sentAt > timeoutNanoseconds }.count
        let loss = settled.isEmpty ? 0 : (lost * 100 + settled.count / 2) / settled.count
        return ProbeStatistics(
            intervalSeconds: intervalSeconds, sent: sent, received: received, lossPercent: loss,
            rttMilliseconds: lastRTT.map { Double($0) / 1_000_000 },
            lastReplyMilliseconds: lastReplyAt.map { max(0, now - $0) / 1_000_000 },
            thresholdMilliseconds: thresholdMilliseconds)
    }
}
