/// In-place compression framing (PROTOCOL.md §8). Unframing reports a compressed payload's algorithm and
/// extent; decompressing it is the injected `PayloadDecompressor`'s job (SwvpnProtocol stays pure).

/// Why an inbound payload's framing was rejected. The description matches openvpn's log text
/// where openvpn has one.
public enum CompressionDropReason: Error, Sendable, Hashable, CustomStringConvertible {
    case badLZOHeaderByte(UInt8)
    /// `0x66`: real LZO data from a peer with `allow-compression yes`, and decompression is off.
    case lzoCompressedUnsupported
    case badStubSwapHeaderByte(UInt8)
    /// `0x69` (swap framing) or `0x50 0x01` (v2): LZ4 data, and decompression is off.
    case lz4CompressedUnsupported
    /// The packet decompresses to more than the receive buffer holds (`capacity` bytes).
    case decompressedTooLong(capacity: Int)
    /// Not valid LZO/LZ4 data (for LZ4 possibly too long: liblz4 does not say which).
    case malformedCompressedData
    case badStubV2HeaderByte(UInt8)
    /// A v2 escape byte with nothing after it.
    case truncatedV2Header

    public var description: String {
        switch self {
        case .badLZOHeaderByte(let b): "Bad LZO decompression header byte: \(b)"
        case .lzoCompressedUnsupported:
            "LZO-compressed packet (header byte 0x66) dropped: decompression is off (allow-compression no)"
        case .badStubSwapHeaderByte(let b): "Bad compression stub (swap) decompression header byte: \(b)"
        case .lz4CompressedUnsupported:
            "LZ4-compressed packet dropped: decompression is off (allow-compression no)"
        case .decompressedTooLong(let capacity):
            "compressed packet dropped: it decompresses to more than \(capacity) bytes"
        case .malformedCompressedData: "compressed packet dropped: malformed compressed data"
        case .badStubV2HeaderByte(let b): "Bad compression stub v2 decompression header byte: \(b)"
        case .truncatedV2Header: "Truncated compression stub v2 header"
        }
    }
}

/// The algorithm of a compressed payload: `0x66` is LZO, `0x69` and `0x50 0x01` are LZ4.
public enum CompressionAlgorithm: Sendable, Hashable { case lzo, lz4 }

public enum CompressionUnframeResult: Sendable, Hashable {
    /// The packet without framing, still in the caller's buffer.
    case packet(offset: Int, length: Int)
    /// Compressed bytes without their header (the swap already undone), still in the caller's buffer.
    case compressed(CompressionAlgorithm, offset: Int, length: Int)
    case drop(CompressionDropReason)
}

extension CompressionFraming {
    static let lzoUncompressed: UInt8 = 0xFA
    static let lzoCompressed: UInt8 = 0x66
    static let swapUncompressed: UInt8 = 0xFB
    static let lz4Compressed: UInt8 = 0x69
    static let v2Indicator: UInt8 = 0x50
    static let v2Uncompressed: UInt8 = 0x00
    static let v2LZ4: UInt8 = 0x01

    /// Bytes that framing may write after the packet (the swap moves the first byte to the end).
    public var maxTailroom: Int { self == .stubSwap ? 1 : 0 }

    /// Frames the packet at `buffer[offset..<offset+length]` in place and returns the new extent.
    /// Needs `maxOverhead` bytes of headroom and `maxTailroom` bytes of tailroom; nil (drop the
    /// packet) when they are missing. Empty packets are left alone, as openvpn does.
    @inline(__always)
    public func frame(_ buffer: UnsafeMutableRawBufferPointer, offset: Int, length: Int) -> (offset: Int, length: Int)?
    {
        guard length > 0 else { return (offset, length) }
        switch self {
        case .none:
            return (offset, length)
        case .lzoPrefix:
            guard offset >= 1 else { return nil }
            buffer[offset - 1] = Self.lzoUncompressed
            return (offset - 1, length + 1)
        case .stubSwap:
            guard offset + length < buffer.count else { return nil }
            buffer[offset + length] = buffer[offset]
            buffer[offset] = Self.swapUncompressed
            return (offset, length + 1)
        case .stubV2:
            guard buffer[offset] == Self.v2Indicator else { return (offset, length) }
            guard offset >= 2 else { return nil }
            buffer[offset - 2] = Self.v2Indicator
            buffer[offset - 1] = Self.v2Uncompressed
            return (offset - 2, length + 2)
        }
    }

    /// Frames compressed bytes at `buffer[offset..<offset+length]` with openvpn's compressed header:
    /// `0x66` in front (LZO), `0x69` swapped with the first byte (`compress lz4`), or `0x50 0x01` in
    /// front (`lz4-v2`). Needs the same head- and tailroom as `frame`.
    @inline(__always)
    public func frameCompressed(_ buffer: UnsafeMutableRawBufferPointer, offset: Int, length: Int) -> (
        offset: Int, length: Int
    ) {
        switch self {
        case .none:
            return (offset, length)
        case .lzoPrefix:
            buffer[offset - 1] = Self.lzoCompressed
            return (offset - 1, length + 1)
        case .stubSwap:
            buffer[offset + length] = buffer[offset]
            buffer[offset] = Self.lz4Compressed
            return (offset, length + 1)
        case .stubV2:
            buffer[offset - 2] = Self.v2Indicator
            buffer[offset - 1] = Self.v2LZ4
            return (offset - 2, length + 2)
        }
    }

    /// Removes framing in place. An empty payload stays empty (the caller drops it as "nothing left").
    @inline(__always)
    public func unframe(_ buffer: UnsafeMutableRawBufferPointer, offset: Int, length: Int) -> CompressionUnframeResult {
        guard length > 0 else { return .packet(offset: offset, length: 0) }
        let first = buffer[offset]
        switch self {
        case .none:
            return .packet(offset: offset, length: length)
        case .lzoPrefix:
            if first == Self.lzoUncompressed { return .packet(offset: offset + 1, length: length - 1) }
            if first == Self.lzoCompressed { return .compressed(.lzo, offset: offset + 1, length: length - 1) }
            return .drop(.badLZOHeaderByte(first))
        case .stubSwap:
            if first == Self.swapUncompressed {
                buffer[offset] = buffer[offset + length - 1]
                return .packet(offset: offset, length: length - 1)
            }
            if first == Self.lz4Compressed {
                buffer[offset] = buffer[offset + length - 1]
                return .compressed(.lz4, offset: offset, length: length - 1)
            }
            return .drop(.badStubSwapHeaderByte(first))
        case .stubV2:
            guard first == Self.v2Indicator else { return .packet(offset: offset, length: length) }
            guard length >= 2 else { return .drop(.truncatedV2Header) }
            let second = buffer[offset + 1]
            if second == Self.v2Uncompressed { return .packet(offset: offset + 2, length: length - 2) }
            if second == Self.v2LZ4 { return .compressed(.lz4, offset: offset + 2, length: length - 2) }
            return .drop(.badStubV2HeaderByte(second))
        }
    }
}
