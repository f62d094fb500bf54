/// Compresses our own packets (`allow-compression yes` with `comp-lzo`, `compress lzo|lz4|lz4-v2`).
/// Injected into `OutboundPath` so SwvpnProtocol stays free of the C libraries; owned by the send queue.
public protocol PayloadCompressor: AnyObject {
    /// Compresses `input` into storage the compressor owns (valid until the next call); nil when the
    /// result would not be smaller, and the packet goes out uncompressed, as openvpn does.
    func compress(_ algorithm: CompressionAlgorithm, _ input: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer?
}

/// Below this many bytes openvpn does not try to compress (`COMPRESS_THRESHOLD`).
public let compressionThreshold = 100
