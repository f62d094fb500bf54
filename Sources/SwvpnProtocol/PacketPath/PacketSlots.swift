/// Caller-owned packet buffers that `OutboundPath` seals fragments into, one piece per slot, so a
/// fragmented datagram leaves the path in one call (the I/O layer's `PacketBatch` conforms).
/// Generic parameters, not existentials: the sealing loop is specialised for the caller's type.
public protocol PacketSlots {
    /// Number of slots; a datagram needing more pieces is dropped.
    var capacity: Int { get }
    /// The start of slot `index`: `PacketPathSettings.bufferSize` writable bytes.
    func slotBase(_ index: Int) -> UnsafeMutableRawPointer
    /// Records that slot `index` holds the wire packet `[start ..< start + length]`.
    func setPiece(_ index: Int, start: Int, length: Int)
}

/// For paths that never fragment (or callers that must not): any split is dropped as `.noRoom`.
public struct NoPacketSlots: PacketSlots {
    public init() {}
    public var capacity: Int { 0 }
    public func slotBase(_ index: Int) -> UnsafeMutableRawPointer { preconditionFailure("no slots") }
    public func setPiece(_ index: Int, start: Int, length: Int) {}
}
