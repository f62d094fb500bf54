/// RFC 1071 ones'-complement checksum, for completing the TCP/UDP/IPv4 checksums that TUN
/// offloads leave to us. Sums 8 bytes at a time into a 64-bit accumulator (big-endian 16-bit
/// words added as host-order 64-bit loads, folded at the end; RFC 1071 §2(B): byte order
/// independence), so a 1400-byte segment costs ~175 additions.
public enum InternetChecksum {
    /// Adds `count` bytes at `p` to a running (unfolded) sum.
    @inline(__always)
    public static func add(_ p: UnsafeRawPointer, _ count: Int, to initial: UInt64 = 0) -> UInt64 {
        var sum = initial
        var i = 0
        // Carries of each 64-bit add are kept by adding them back (end-around carry).
        while i + 8 <= count {
            let (s, o) = sum.addingReportingOverflow(p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            sum = s &+ (o ? 1 : 0)
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < count {
            tail |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << shift
            shift += 8
            i += 1
        }
        let (s, o) = sum.addingReportingOverflow(tail)
        return s &+ (o ? 1 : 0)
    }

    /// Adds a 16-bit value given in network order semantics (e.g. a length or protocol number).
    @inline(__always)
    public static func add(word: UInt16, to sum: UInt64) -> UInt64 {
        // Host-order loads above see big-endian words byte-swapped; match that.
        let (s, o) = sum.addingReportingOverflow(UInt64(word.byteSwapped))
        return s &+ (o ? 1 : 0)
    }

    /// Folds to 16 bits and complements; the result is in network byte order, ready to store as is
    /// (with `storeBytes(of:as: UInt16.self)` on a little-endian host it lands byte-correct).
    @inline(__always)
    public static func finish(_ sum: UInt64) -> UInt16 {
        var s = (sum & 0xffff_ffff) &+ (sum >> 32)
        s = (s & 0xffff_ffff) &+ (s >> 32)
        s = (s & 0xffff) &+ (s >> 16)
        s = (s & 0xffff) &+ (s >> 16)
        s = (s & 0xffff) &+ (s >> 16)
        return ~UInt16(truncatingIfNeeded: s)
    }

    /// Sum of the TCP/UDP pseudo-header for an IPv4 or IPv6 packet starting at `ip`.
    @inline(__always)
    public static func pseudoHeader(_ ip: UnsafeRawPointer, isIPv6: Bool, protocolNumber: UInt8, length: Int) -> UInt64
    {
        var sum: UInt64
        if isIPv6 {
            sum = add(ip + 8, 32)
        } else {
            sum = add(ip + 12, 8)
        }
        sum = add(word: UInt16(protocolNumber), to: sum)
        if isIPv6 {
            sum = add(word: UInt16(truncatingIfNeeded: length >> 16), to: sum)
        }
        return add(word: UInt16(truncatingIfNeeded: length), to: sum)
    }
}
