/// `struct virtio_net_hdr` (include/uapi/linux/virtio_net.h): the 10-byte prefix the kernel puts in
/// front of every packet on a TUN device opened with `IFF_VNET_HDR`, and expects on every write.
///
/// It is what makes TUN offloads work: with `TUNSETOFFLOAD` (TSO) a read can return one TCP
/// "super-packet" of up to 64 KB plus the segment size to cut it into, so a single syscall moves
/// what would otherwise be ~45 packets. Fields are in host byte order for a legacy (non-virtio-1)
/// TUN device; swvpnd only runs on little-endian Linux, and says so here rather than guessing.
public struct VirtioNetHeader: Sendable, Hashable {
    public static let size = 10

    /// `VIRTIO_NET_HDR_F_NEEDS_CSUM`: the L4 checksum at `checksumStart + checksumOffset` holds only
    /// the pseudo-header sum; the rest is left to whoever sends the packet on (us).
    public static let needsChecksum: UInt8 = 1

    public enum GSOType: UInt8, Sendable {
        case none = 0
        case tcpv4 = 1
        case udp = 3
        case tcpv6 = 4
        case udpL4 = 5
    }

    public var flags: UInt8
    /// Raw `gso_type`, ECN bit (0x80) included.
    public var gsoTypeRaw: UInt8
    /// `hdr_len`: bytes of L3+L4 headers (a hint; segmentation recomputes it from the packet).
    public var headerLength: UInt16
    /// `gso_size`: payload bytes per segment (the MSS).
    public var gsoSize: UInt16
    public var checksumStart: UInt16
    public var checksumOffset: UInt16

    public init(
        flags: UInt8 = 0, gsoType: GSOType = .none, headerLength: UInt16 = 0, gsoSize: UInt16 = 0,
        checksumStart: UInt16 = 0, checksumOffset: UInt16 = 0
    ) {
        self.flags = flags
        self.gsoTypeRaw = gsoType.rawValue
        self.headerLength = headerLength
        self.gsoSize = gsoSize
        self.checksumStart = checksumStart
        self.checksumOffset = checksumOffset
    }

    public var gsoType: GSOType? { GSOType(rawValue: gsoTypeRaw & 0x7f) }

    @inline(__always)
    public init(reading p: UnsafeRawPointer) {
        flags = p.load(as: UInt8.self)
        gsoTypeRaw = p.load(fromByteOffset: 1, as: UInt8.self)
        headerLength = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        gsoSize = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        checksumStart = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
        checksumOffset = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
    }

    @inline(__always)
    public func write(to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: flags, as: UInt8.self)
        p.storeBytes(of: gsoTypeRaw, toByteOffset: 1, as: UInt8.self)
        p.storeBytes(of: headerLength.littleEndian, toByteOffset: 2, as: UInt16.self)
        p.storeBytes(of: gsoSize.littleEndian, toByteOffset: 4, as: UInt16.self)
        p.storeBytes(of: checksumStart.littleEndian, toByteOffset: 6, as: UInt16.self)
        p.storeBytes(of: checksumOffset.littleEndian, toByteOffset: 8, as: UInt16.self)
    }

    /// A plain packet: no offload, checksums already complete.
    public static let plain = VirtioNetHeader()
}
