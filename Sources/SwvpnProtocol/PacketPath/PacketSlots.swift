/// Caller-owned packet buffers that `OutboundPath` seals fragments into, one piece per slot, so a
/// fragmented datagram leaves the path in one call. A plain value over the caller's memory (the
/// I/O layer's `PacketBatch` vends one over its own slab and offset/length arrays): no generics
/// and no witness tables on the per-packet call.
public struct PacketSlots {
    /// Slot `i` starts at `base + i * stride` and has `stride` writable bytes (at least
    /// `PacketPathSettings.bufferSize`).
    public let base: UnsafeMutableRawPointer?
    public let stride: Int
    /// Number of slots; a datagram needing more pieces is dropped.
    public let capacity: Int
    /// Where slot `i`'s wire packet starts in its slot, and its length, written by the path.
    public let starts: UnsafeMutablePointer<Int>?
    public let lengths: UnsafeMutablePointer<Int>?

    public init(
        base: UnsafeMutableRawPointer, stride: Int, capacity: Int, starts: UnsafeMutablePointer<Int>,
        lengths: UnsafeMutablePointer<Int>
    ) {
        self.base = base
        self.stride = stride
        self.capacity = capacity
        self.starts = starts
        self.lengths = lengths
    }

    private init() {
        base = nil
        stride = 0
        capacity = 0
        starts = nil
        lengths = nil
    }

    /// No slots: a datagram that needs splitting is dropped as `.noRoom`.
    public static var none: PacketSlots { PacketSlots() }

    @inline(__always)
    public func slotBase(_ index: Int) -> UnsafeMutableRawPointer { base! + index * stride }

    @inline(__always)
    func setPiece(_ index: Int, start: Int, length: Int) {
        starts![index] = start
        lengths![index] = length
    }
}
