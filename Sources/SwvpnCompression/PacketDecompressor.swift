import CLZ4
import CLZO

/// Decompresses one packet's payload with the libraries openvpn uses (liblzo2's LZO1X, liblz4's
/// block format), from the caller's input into the caller's output buffer: nothing is allocated
/// per packet, and a packet that would decompress beyond `output.count` is a drop with a reason,
/// never a write past the buffer.
///
/// Framing is not handled here: the caller strips openvpn's header first (`0x66` for comp-lzo LZO;
/// `0x50 0x01` for lz4-v2; for `compress lz4`, `0x69` swapped with the last byte, undone as for the
/// uncompressed swap marker) and passes the compressed bytes.
public enum PacketDecompressor {
    public enum Algorithm: Sendable, Hashable {
        case lzo, lz4
    }

    public enum Drop: Error, Sendable, Hashable, CustomStringConvertible {
        /// The decompressed packet would not fit in the output buffer.
        case wouldOverflow(algorithm: Algorithm, capacity: Int)
        /// The input is not valid compressed data (or, for LZ4, would not fit: liblz4 does not say which).
        case malformed(algorithm: Algorithm, capacity: Int)
        case empty(algorithm: Algorithm)
        /// liblzo2 failed its start-up check (a mismatched library build).
        case libraryUnavailable

        public var description: String {
            switch self {
            case .wouldOverflow(let algorithm, let capacity):
                "\(algorithm.name)-compressed packet dropped: it decompresses to more than \(capacity) bytes"
            case .malformed(.lz4, let capacity):
                "LZ4-compressed packet dropped: malformed, or it decompresses to more than \(capacity) bytes"
            case .malformed(let algorithm, _):
                "\(algorithm.name)-compressed packet dropped: malformed compressed data"
            case .empty(let algorithm):
                "\(algorithm.name)-compressed packet dropped: no compressed data after the header"
            case .libraryUnavailable:
                "LZO-compressed packet dropped: liblzo2 failed to initialise"
            }
        }
    }

    /// liblzo2 wants `lzo_init()` once per process before any call.
    private static let lzoReady: Bool = swvpn_lzo_init() == LZO_E_OK

    /// Decompresses `input` into `output`; returns the decompressed length.
    public static func decompress(
        _ algorithm: Algorithm, _ input: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) -> Result<Int, Drop> {
        guard let source = input.baseAddress, input.count > 0 else { return .failure(.empty(algorithm: algorithm)) }
        guard let destination = output.baseAddress, output.count > 0 else {
            return .failure(.wouldOverflow(algorithm: algorithm, capacity: 0))
        }
        switch algorithm {
        case .lzo:
            guard lzoReady else { return .failure(.libraryUnavailable) }
            var length = lzo_uint(output.count)
            let status = lzo1x_decompress_safe(
                UnsafeMutablePointer(mutating: source.assumingMemoryBound(to: UInt8.self)), lzo_uint(input.count),
                destination.assumingMemoryBound(to: UInt8.self), &length, nil)
            switch status {
            case LZO_E_OK: return .success(Int(length))
            case LZO_E_OUTPUT_OVERRUN: return .failure(.wouldOverflow(algorithm: .lzo, capacity: output.count))
            default: return .failure(.malformed(algorithm: .lzo, capacity: output.count))
            }
        case .lz4:
            guard input.count <= Int(Int32.max), output.count <= Int(Int32.max) else {
                return .failure(.malformed(algorithm: .lz4, capacity: output.count))
            }
            let length = LZ4_decompress_safe(
                source.assumingMemoryBound(to: CChar.self),
                destination.assumingMemoryBound(to: CChar.self),
                Int32(input.count), Int32(output.count))
            return length >= 0 ? .success(Int(length)) : .failure(.malformed(algorithm: .lz4, capacity: output.count))
        }
    }
}

extension PacketDecompressor.Algorithm {
    var name: String { self == .lzo ? "LZO" : "LZ4" }
}
