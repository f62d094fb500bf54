import CLZ4
import CLZO
import SwvpnCompression
import SwvpnTestSupport
import Testing

/// Compresses with the real libraries (the ones openvpn links), then decompresses with swvpnd's code.
enum RealCompressor {
    static func compress(_ algorithm: PacketDecompressor.Algorithm, _ data: [UInt8]) -> [UInt8] {
        switch algorithm {
        case .lzo:
            #expect(swvpn_lzo_init() == LZO_E_OK)
            var output = [UInt8](repeating: 0, count: data.count + data.count / 16 + 64 + 3)
            var work = [UInt8](repeating: 0, count: Int(swvpn_lzo1x_1_mem_compress()))
            var length = lzo_uint(output.count)
            let status = data.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { out in
                    work.withUnsafeMutableBytes { wrk in
                        lzo1x_1_compress(
                            UnsafeMutablePointer(mutating: input.baseAddress!), lzo_uint(data.count),
                            out.baseAddress!, &length, wrk.baseAddress!)
                    }
                }
            }
            #expect(status == LZO_E_OK)
            return Array(output.prefix(Int(length)))
        case .lz4:
            var output = [UInt8](repeating: 0, count: Int(LZ4_compressBound(Int32(data.count))))
            let length = data.withUnsafeBytes { input in
                output.withUnsafeMutableBytes { out in
                    LZ4_compress_default(
                        input.baseAddress!.assumingMemoryBound(to: CChar.self),
                        out.baseAddress!.assumingMemoryBound(to: CChar.self),
                        Int32(data.count), Int32(out.count))
                }
            }
            #expect(length > 0)
            return Array(output.prefix(Int(length)))
        }
    }
}

@Suite struct PacketDecompressorTests {
    static let algorithms: [PacketDecompressor.Algorithm] = [.lzo, .lz4]

    /// An IP-like packet: a header, then text that compresses well or random bytes that do not.
    static func payload(_ length: Int, compressible: Bool, seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        if !compressible { return (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        let text = Array("GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nAccept: */*\r\n\r\n".utf8)
        return (0..<length).map { $0 < 20 ? UInt8.random(in: 0...255, using: &generator) : text[$0 % text.count] }
    }

    /// Decompresses into a buffer of `capacity` followed by a guard zone that must stay untouched.
    static func decompress(
        _ algorithm: PacketDecompressor.Algorithm, _ compressed: [UInt8],
        capacity: Int
    ) -> (Result<Int, PacketDecompressor.Drop>, [UInt8]) {
        let guardBytes = 64
        var buffer = [UInt8](repeating: 0xA5, count: capacity + guardBytes)
        let result = compressed.withUnsafeBytes { input in
            buffer.withUnsafeMutableBytes { output in
                PacketDecompressor.decompress(
                    algorithm, input,
                    into: UnsafeMutableRawBufferPointer(rebasing: output[0..<capacity]))
            }
        }
        #expect(buffer[capacity...].allSatisfy { $0 == 0xA5 }, "wrote past the output buffer")
        return (result, Array(buffer.prefix(capacity)))
    }

    @Test(arguments: algorithms)
    func realLibraryOutputDecompressesByteExact(algorithm: PacketDecompressor.Algorithm) {
        for length in [1, 2, 20, 64, 100, 576, 1000, 1400, 1500, 1600, 9000] {
            for compressible in [true, false] {
                let original = Self.payload(length, compressible: compressible, seed: UInt64(length))
                let compressed = RealCompressor.compress(algorithm, original)
                if compressible && length >= 576 { #expect(compressed.count < original.count / 2) }
                let (result, output) = Self.decompress(algorithm, compressed, capacity: 9000)
                guard case .success(let decompressed) = result else {
                    Issue.record("\(algorithm) \(length) \(compressible): \(result)")
                    continue
                }
                #expect(
                    decompressed == length && Array(output.prefix(decompressed)) == original,
                    "\(algorithm) length \(length) compressible \(compressible)")
            }
        }
    }

    @Test(arguments: algorithms)
    func aPacketThatWouldNotFitIsDroppedWithItsReason(algorithm: PacketDecompressor.Algorithm) {
        let original = Self.payload(3000, compressible: true, seed: 7)
        let compressed = RealCompressor.compress(algorithm, original)
        let (result, _) = Self.decompress(algorithm, compressed, capacity: 1500)
        switch (algorithm, result) {
        case (.lzo, .failure(let drop)):
            #expect(drop == .wouldOverflow(algorithm: .lzo, capacity: 1500))
            #expect(drop.description == "LZO-compressed packet dropped: it decompresses to more than 1500 bytes")
        case (.lz4, .failure(let drop)):
            #expect(drop == .malformed(algorithm: .lz4, capacity: 1500))
            #expect(
                drop.description
                    == "LZ4-compressed packet dropped: malformed, or it decompresses to more than 1500 bytes")
        default:
            Issue.record("\(algorithm): a 3000-byte packet decompressed into 1500 bytes: \(result)")
        }
        // Exactly the size fits.
        let (exact, output) = Self.decompress(algorithm, compressed, capacity: 3000)
        #expect(exact == .success(3000) && output == original)
    }

    @Test(arguments: algorithms)
    func garbageTruncatedAndEmptyInputsAreDrops(algorithm: PacketDecompressor.Algorithm) {
        let compressed = RealCompressor.compress(algorithm, Self.payload(1400, compressible: true, seed: 3))
        var generator = SeededGenerator(seed: 99)
        for cut in stride(from: 1, to: compressed.count, by: 7) {
            let (result, _) = Self.decompress(algorithm, Array(compressed.prefix(cut)), capacity: 2000)
            if case .success(let n) = result { #expect(n < 1400, "truncated input at \(cut) gave a whole packet") }
        }
        var failures = 0
        for round in 0..<200 {
            let garbage = (0..<(1 + round * 7 % 1500)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if case .failure = Self.decompress(algorithm, garbage, capacity: 2000).0 { failures += 1 }
        }
        #expect(failures > 100, "random bytes should mostly be rejected as malformed (\(failures)/200)")
        #expect(Self.decompress(algorithm, [], capacity: 2000).0 == .failure(.empty(algorithm: algorithm)))
    }
}
