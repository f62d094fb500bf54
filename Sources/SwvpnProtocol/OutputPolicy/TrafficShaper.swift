/// openvpn's `shaper n`: output to the peer limited to n bytes per second, as a token bucket on a
/// virtual clock (nanoseconds in, nanoseconds to wait out; the caller owns the clock and the waiting).
///
/// Like openvpn (shaper.h), every packet costs its wire bytes plus the outer IP/UDP (or TCP) header,
/// at least 100 bytes, and at most 10 seconds of the rate. openvpn waits after each packet until the
/// previous one has "left"; here `burstNanoseconds` of traffic may leave back to back first, so a
/// batch of packets is not cut into single sends for a few microseconds of credit. Over any longer
/// span the rate is the same.
public struct TrafficShaper: Sendable {
    public let bytesPerSecond: Int
    public let burstNanoseconds: Int64
    /// When everything charged so far will have left at the configured rate (GCRA's theoretical arrival time).
    private var drainedAt: Int64 = .min

    /// openvpn's bounds on the cost of one packet (shaper.h: max_int(nbytes, 100), SHAPER_MAX_TIMEOUT).
    public static let minimumPacketCost = 100
    public static let maximumDelayNanoseconds: Int64 = 10_000_000_000

    public init(bytesPerSecond: Int, burstNanoseconds: Int64 = 10_000_000) {
        precondition(bytesPerSecond > 0, "a shaper needs a positive rate")
        self.bytesPerSecond = bytesPerSecond
        self.burstNanoseconds = burstNanoseconds
    }

    /// Nanoseconds to wait before the next packet may leave at `now` (0: at once).
    @inline(__always)
    public func delay(now: Int64) -> Int64 {
        drainedAt == .min ? 0 : max(0, drainedAt - burstNanoseconds - now)
    }

    /// Charges one packet of `wireBytes` (outer headers included) sent at `now`.
    @inline(__always)
    public mutating func charge(wireBytes: Int, now: Int64) {
        let bytes = Int64(max(wireBytes, Self.minimumPacketCost))
        let cost = min(bytes * 1_000_000_000 / Int64(bytesPerSecond), Self.maximumDelayNanoseconds)
        drainedAt = max(drainedAt, now) + cost
    }
}
