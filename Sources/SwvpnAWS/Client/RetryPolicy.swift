/// How often and how long to wait before trying a failed call again: only errors that may pass
/// (throttling, 5xx, timeouts), at most `maxAttempts` tries in all, exponential delays from `base`
/// capped at `cap`, each with "equal jitter" (half fixed, half random) so that several callers
/// throttled together do not come back together.
public struct RetryPolicy: Sendable, Hashable {
    public var maxAttempts: Int
    public var baseMilliseconds: Int
    public var capMilliseconds: Int

    public init(maxAttempts: Int = 3, baseMilliseconds: Int = 200, capMilliseconds: Int = 1600) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseMilliseconds = baseMilliseconds
        self.capMilliseconds = capMilliseconds
    }

    /// Never retries: one attempt.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The wait before attempt `attempt + 1` after attempt `attempt` (1-based) failed with `error`,
    /// or nil when the call must fail now. `unit` is a random number in 0..<1.
    public func delayMilliseconds(after attempt: Int, error: AWSError, unit: Double) -> Int? {
        guard error.isRetryable, attempt < maxAttempts else { return nil }
        let exponent = min(attempt - 1, 20)
        let full = min(capMilliseconds, baseMilliseconds << exponent)
        let half = full / 2
        return half + Int(Double(full - half) * min(max(unit, 0), 1))
    }
}
