import SwvpnProtocol

/// The in-tunnel probe's packets: an ICMPv4 echo request from this end's tunnel address to the
/// peer's, sealed into the tunnel like any packet read from TUN; the peer's kernel answers it,
/// and the reply is claimed before the TUN write, so the host's stack never sees either.
///
/// The request carries a fixed 8-byte marker and the sequence number twice (ICMP header and
/// payload), which the reply echoes back: `matchReply` recognises our replies and nothing else.
public struct ICMPProbe: Sendable, Equatable {
    /// This end's and the peer's `ifconfig` addresses (host order).
    public let source: UInt32
    public let destination: UInt32
    public let identifier: UInt16

    public static let ipHeaderLength = 20
    public static let icmpHeaderLength = 8
    public static let payloadLength = 16
    public static let packetLength = ipHeaderLength + icmpHeaderLength + payloadLength
    /// "swvpnd-p" in ASCII, the payload's first 8 bytes.
    static let marker: UInt64 = 0x7377_7670_6e64_2d70

    public init(source: UInt32, destination: UInt32, identifier: UInt16) {
        self.source = source
        self.destination = destination
        self.identifier = identifier
    }

    /// Writes the echo request for `sequence` at `buffer` (room for `packetLength` bytes).
    /// `sentNanoseconds` goes into the payload (only for packet captures; RTT comes from the tracker).
    @discardableResult
    public func writeRequest(sequence: UInt16, sentNanoseconds: Int64, into buffer: UnsafeMutableRawPointer) -> Int {
        let p = buffer
        p.initializeMemory(as: UInt8.self, repeating: 0, count: Self.packetLength)
        p.storeBytes(of: 0x45, toByteOffset: 0, as: UInt8.self)
        p.storeBytes(of: UInt16(Self.packetLength).bigEndian, toByteOffset: 2, as: UInt16.self)
        p.storeBytes(of: sequence.bigEndian, toByteOffset: 4, as: UInt16.self)  // IP identification
        p.storeBytes(of: UInt16(0x4000).bigEndian, toByteOffset: 6, as: UInt16.self)  // DF
        p.storeBytes(of: 64, toByteOffset: 8, as: UInt8.self)  // TTL
        p.storeBytes(of: 1, toByteOffset: 9, as: UInt8.self)  // ICMP
        p.storeBytes(of: source.bigEndian, toByteOffset: 12, as: UInt32.self)
        p.storeBytes(of: destination.bigEndian, toByteOffset: 16, as: UInt32.self)
        p.storeBytes(
            of: InternetChecksum.finish(InternetChecksum.add(p, Self.ipHeaderLength)),
            toByteOffset: 10, as: UInt16.self)
        let icmp = p + Self.ipHeaderLength
        icmp.storeBytes(of: 8, toByteOffset: 0, as: UInt8.self)  // echo request
        icmp.storeBytes(of: identifier.bigEndian, toByteOffset: 4, as: UInt16.self)
        icmp.storeBytes(of: sequence.bigEndian, toByteOffset: 6, as: UInt16.self)
        icmp.storeBytes(of: Self.marker.bigEndian, toByteOffset: 8, as: UInt64.self)
        icmp.storeBytes(of: UInt64(bitPattern: sentNanoseconds).bigEndian, toByteOffset: 16, as: UInt64.self)
        let length = Self.icmpHeaderLength + Self.payloadLength
        icmp.storeBytes(
            of: InternetChecksum.finish(InternetChecksum.add(icmp, length)), toByteOffset: 2, as: UInt16.self)
        return Self.packetLength
    }

    /// The sequence number when `packet` is the reply to one of our requests, else nil.
    /// Cheap enough for every decrypted packet: the first test (length) rejects bulk traffic.
    @inline(__always)
    public func matchReply(_ packet: UnsafeRawBufferPointer) -> UInt16? {
        guard packet.count == Self.packetLength, let p = packet.baseAddress,
            p.load(as: UInt8.self) == 0x45,
            p.load(fromByteOffset: 9, as: UInt8.self) == 1,
            UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self)) == destination,
            UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt32.self)) == source
        else { return nil }
        let icmp = p + Self.ipHeaderLength
        guard icmp.load(as: UInt8.self) == 0, icmp.load(fromByteOffset: 1, as: UInt8.self) == 0,
            UInt16(bigEndian: icmp.loadUnaligned(fromByteOffset: 4, as: UInt16.self)) == identifier,
            UInt64(bigEndian: icmp.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) == Self.marker
        else { return nil }
        return UInt16(bigEndian: icmp.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
    }
}
