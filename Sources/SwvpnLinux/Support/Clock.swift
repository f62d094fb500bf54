import Glibc

/// The two clocks of the daemon: wall time for the packet-id session epoch (it goes on the wire and
/// must be Unix seconds), monotonic time for every timer and the replay window (immune to clock steps).
package enum Clock {
    @inline(__always)
    package static func wallSeconds() -> UInt32 { UInt32(truncatingIfNeeded: time(nil)) }

    @inline(__always)
    package static func monotonicSeconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec)
    }

    package static func monotonicMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
