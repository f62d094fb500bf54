/// Decompresses what a compressing openvpn peer sends (`allow-compression asym` or `yes`). Injected
/// into `InboundPath` so SwvpnProtocol stays free of the C libraries; called only for compressed
/// packets, on the receive queue that owns it.
public protocol PayloadDecompressor: AnyObject {
    /// Decompresses `input` into storage the decompressor owns, allocated once; the result stays
    /// valid until the next call. A packet that would not fit is a drop with a reason.
    func decompress(_ algorithm: CompressionAlgorithm, _ input: UnsafeRawBufferPointer)
        -> Result<UnsafeMutableRawBufferPointer, CompressionDropReason>
}
