import SwvpnProtocol

/// The receive queue's `PayloadDecompressor`: one output buffer allocated here, reused for every
/// compressed packet (the data plane writes each packet out before opening the next).
public final class DecompressionBuffer: PayloadDecompressor {
    private let output: UnsafeMutableRawBufferPointer
    /// Compressed bytes in, decompressed bytes out, of the packets that decompressed.
    public let totals = CompressionTotals()

    /// `capacity`: the largest packet accepted after decompression (the path's `maxTunnelPacket`).
    public init(capacity: Int) {
        output = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { output.deallocate() }

    public func decompress(_ algorithm: CompressionAlgorithm, _ input: UnsafeRawBufferPointer)
        -> Result<UnsafeMutableRawBufferPointer, CompressionDropReason>
    {
        switch PacketDecompressor.decompress(algorithm == .lzo ? .lzo : .lz4, input, into: output) {
        case .success(let length):
            totals.add(before: input.count, after: length)
            return .success(UnsafeMutableRawBufferPointer(rebasing: output[0..<length]))
        case .failure(.wouldOverflow(_, let capacity)): return .failure(.decompressedTooLong(capacity: capacity))
        case .failure: return .failure(.malformedCompressedData)
        }
    }
}
