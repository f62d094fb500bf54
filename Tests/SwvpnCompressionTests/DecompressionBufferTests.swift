import SwvpnCompression
import SwvpnProtocol
import Testing

/// Each framing openvpn sends compressed data in, unframed by `CompressionFraming` and decompressed by
/// `DecompressionBuffer` into its one output buffer, gives back the packet byte for byte.
struct DecompressionBufferTests {
    static let packet: [UInt8] = [0x45, 0, 0x04, 0] + (0..<996).map { UInt8($0 % 7) }

    /// openvpn's compressed framings: LZO `0x66 data`; LZ4 swap `0x69` with the first byte moved to the end;
    /// LZ4 v2 `0x50 0x01 data`.
    static func framed(_ framing: CompressionFraming) -> [UInt8] {
        switch framing {
        case .lzoPrefix: return [0x66] + RealCompressor.compress(.lzo, packet)
        case .stubSwap:
            let data = RealCompressor.compress(.lz4, packet)
            return [0x69] + data.dropFirst() + [data[0]]
        default: return [0x50, 0x01] + RealCompressor.compress(.lz4, packet)
        }
    }

    func open(_ wire: [UInt8], _ framing: CompressionFraming, capacity: Int) -> Result<[UInt8], CompressionDropReason> {
        var bytes = wire
        let decompressor = DecompressionBuffer(capacity: capacity)
        return bytes.withUnsafeMutableBytes { buffer in
            guard
                case .compressed(let algorithm, let offset, let length) = framing.unframe(
                    buffer, offset: 0, length: buffer.count)
            else { return .failure(.truncatedV2Header) }
            return decompressor.decompress(
                algorithm, UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + length])
            )
            .map { Array($0) }
        }
    }

    @Test(arguments: [CompressionFraming.lzoPrefix, .stubSwap, .stubV2])
    func decompressesEachFramingBackToThePacket(_ framing: CompressionFraming) throws {
        let wire = Self.framed(framing)
        #expect(wire.count < Self.packet.count / 2, "the test packet should compress")
        #expect(try open(wire, framing, capacity: 1628).get() == Self.packet)
    }

    @Test func aPacketLargerThanTheBufferIsDroppedWithAReason() {
        #expect(
            open(Self.framed(.lzoPrefix), .lzoPrefix, capacity: 999) == .failure(.decompressedTooLong(capacity: 999)))
        #expect(open(Self.framed(.stubV2), .stubV2, capacity: 999) == .failure(.malformedCompressedData))
        #expect(open([0x66, 0xff, 0xff, 0xff], .lzoPrefix, capacity: 1628) == .failure(.malformedCompressedData))
        #expect(
            CompressionDropReason.decompressedTooLong(capacity: 999).description
                == "compressed packet dropped: it decompresses to more than 999 bytes")
    }
}

/// `allow-compression yes`: OutboundPath compresses through `CompressionBuffer` when that shrinks the packet,
/// frames it as openvpn does, and CompressionFraming + DecompressionBuffer give the packet back.
struct CompressionBufferTests {
    @Test(arguments: [(CompressionFraming.lzoPrefix, CompressionAlgorithm.lzo), (.stubSwap, .lz4), (.stubV2, .lz4)])
    func compressedFramesRoundTrip(_ framing: CompressionFraming, _ algorithm: CompressionAlgorithm) throws {
        let compressor = CompressionBuffer(capacity: 1628)
        let packet = DecompressionBufferTests.packet
        let packed = try #require(packet.withUnsafeBytes { compressor.compress(algorithm, $0).map { Array($0) } })
        #expect(packed.count < packet.count / 2)
        var buffer = [UInt8](repeating: 0, count: 8) + packed + [0]
        let (offset, length) = buffer.withUnsafeMutableBytes {
            framing.frameCompressed($0, offset: 8, length: packed.count)
        }
        let wire = Array(buffer[offset..<offset + length])
        #expect(wire == DecompressionBufferTests.framed(framing) || algorithm == .lzo && wire.first == 0x66)
        let decompressor = DecompressionBuffer(capacity: 1628)
        let back = wire.withUnsafeBytes { bytes -> [UInt8]? in
            var copy = Array(bytes)
            return copy.withUnsafeMutableBytes { b in
                guard case .compressed(let a, let o, let l) = framing.unframe(b, offset: 0, length: b.count) else {
                    return nil
                }
                return try? decompressor.decompress(a, UnsafeRawBufferPointer(rebasing: b[o..<o + l])).get().map { $0 }
            }
        }
        #expect(back == packet)
        // Random bytes do not shrink: sent uncompressed.
        let random = (0..<1000).map { _ in UInt8.random(in: 0...255) }
        #expect(random.withUnsafeBytes { compressor.compress(algorithm, $0) } == nil)
    }
}
