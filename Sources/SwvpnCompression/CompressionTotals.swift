import Synchronization

/// Bytes before and after (de)compression of the packets that were (de)compressed: openvpn's
/// `pre-compress`/`post-compress` and `pre-decompress`/`post-decompress` status lines. Written by the
/// one queue that owns the buffer, read by the control queue.
public final class CompressionTotals: Sendable {
    private let beforeBytes = Atomic<UInt64>(0)
    private let afterBytes = Atomic<UInt64>(0)

    public init() {}

    public var before: UInt64 { beforeBytes.load(ordering: .relaxed) }
    public var after: UInt64 { afterBytes.load(ordering: .relaxed) }

    @inline(__always)
    func add(before: Int, after: Int) {
        beforeBytes.add(UInt64(before), ordering: .relaxed)
        afterBytes.add(UInt64(after), ordering: .relaxed)
    }
}
