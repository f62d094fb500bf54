/// What the in-tunnel probe measured, as of one instant.
public struct ProbeStatistics: Sendable, Equatable {
    public var intervalSeconds: Int
    /// Probes sent since the session started.
    public var sent: UInt64
    /// Replies matched to a probe since the session started.
    public var received: UInt64
    /// Over the last `window` probes whose reply time has passed (0...100).
    public var lossPercent: Int
    /// Round trip of the latest reply, in milliseconds; nil before the first reply.
    public var rttMilliseconds: Double?
    /// Milliseconds since the latest good reply; nil before the first.
    public var lastReplyMilliseconds: Int64?
    /// The probe counts as healthy while the latest reply is at most this old.
    public var thresholdMilliseconds: Int64

    public init(
        intervalSeconds: Int, sent: UInt64, received: UInt64, lossPercent: Int,
        rttMilliseconds: Double?, lastReplyMilliseconds: Int64?, thresholdMilliseconds: Int64
    ) {
        self.intervalSeconds = intervalSeconds
        self.sent = sent
        self.received = received
        self.lossPercent = lossPercent
        self.rttMilliseconds = rttMilliseconds
        self.lastReplyMilliseconds = lastReplyMilliseconds
        self.thresholdMilliseconds = thresholdMilliseconds
    }

    /// Whole seconds since the latest good reply (status text, metrics, JSON `last_reply_seconds`).
    public var lastReplySeconds: Int64? {
        get { lastReplyMilliseconds.map { $0 / 1000 } }
        set { lastReplyMilliseconds = newValue.map { $0 * 1000 } }
    }

    public var thresholdSeconds: Double { Double(thresholdMilliseconds) / 1000 }

    public var isHealthy: Bool {
        guard let age = lastReplyMilliseconds else { return false }
        return age <= thresholdMilliseconds
    }
}
