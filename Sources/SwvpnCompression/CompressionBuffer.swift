import CLZ4
import CLZO
import SwvpnProtocol

/// The send queue's `PayloadCompressor`: liblzo2's LZO1X-1 and liblz4's default block compressor (the
/// ones openvpn uses), into one output buffer and one LZO work area allocated here.
public final class CompressionBuffer: PayloadCompressor {
    private let output: UnsafeMutableRawBufferPointer
    private let work: UnsafeMutableRawBufferPointer
    private let lzoReady = swvpn_lzo_init() == LZO_E_OK
    /// What went in and came out, as openvpn counts it: every packet the library compressed, smaller or not.
    public let totals = CompressionTotals()

    /// `capacity`: the largest packet to compress (the path's `maxTunnelPacket`).
    public init(capacity: Int) {
        // LZO's worst case is n + n/16 + 64 + 3; LZ4's bound is smaller.
        output = .allocate(
            byteCount: max(capacity + capacity / 16 + 67, Int(LZ4_compressBound(Int32(capacity)))),
            alignment: 16)
        work = .allocate(byteCount: Int(swvpn_lzo1x_1_mem_compress()), alignment: 16)
    }

    deinit {
        output.deallocate()
        work.deallocate()
    }

    public func compress(_ algorithm: CompressionAlgorithm, _ input: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer?
    {
        guard let source = input.baseAddress, input.count > 0, input.count + input.count / 16 + 67 <= output.count
        else { return nil }
        let length: Int
        switch algorithm {
        case .lzo:
            guard lzoReady else { return nil }
            var out = lzo_uint(output.count)
            let status = lzo1x_1_compress(
                UnsafeMutablePointer(mutating: source.assumingMemoryBound(to: UInt8.self)), lzo_uint(input.count),
                output.baseAddress!.assumingMemoryBound(to: UInt8.self), &out, work.baseAddress)
            guard status == LZO_E_OK else { return nil }
            length = Int(out)
        case .lz4:
            length = Int(
                LZ4_compress_default(
                    source.assumingMemoryBound(to: CChar.self),
                    output.baseAddress!.assumingMemoryBound(to: CChar.self),
                    Int32(input.count), Int32(output.count)))
        }
        guard length > 0 else { return nil }
        totals.add(before: input.count, after: length)
        guard length < input.count else { return nil }
        return UnsafeRawBufferPointer(rebasing: output[0..<length])
    }
}
