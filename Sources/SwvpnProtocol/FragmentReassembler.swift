/// Incoming side of `--fragment`: rebuilds datagrams from pieces in preallocated slots.

public enum FragmentReceiveResult {
    /// A whole (unfragmented) payload, header removed, still in the caller's buffer.
    case packet(offset: Int, length: Int)
    /// A completed datagram inside the reassembler's storage; valid until the next call.
    case reassembled(UnsafeMutableRawBufferPointer)
    /// Piece stored; nothing to deliver yet.
    case pending
    case drop(FragmentDropReason)
}

/// Holds up to 32 partial datagrams (one per sequence id modulo 32), each up to `capacity` bytes.
/// Partial datagrams expire `ttl` seconds after their last piece. Not thread-safe.
public final class FragmentReassembler {
    public static let ttl: Int64 = 10
    static let slotCount = 32

    private struct Slot {
        var defined = false
        var sequenceID: UInt8 = 0
        var pieceSize = 0
        var map: UInt32 = 0
        var length = 0
        var timestamp: Int64 = 0
    }

    public let capacity: Int
    private let storage: UnsafeMutableRawBufferPointer
    private var slots: [Slot]

    /// `capacity` = largest datagram accepted (e.g. the tun MTU plus framing).
    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        storage = .allocate(byteCount: capacity * Self.slotCount, alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        slots = Array(repeating: Slot(), count: Self.slotCount)
    }

    deinit { storage.deallocate() }

    /// Drops partial datagrams older than `ttl` (openvpn's periodic housekeeping).
    public func expire(now: Int64) {
        for i in slots.indices where slots[i].defined && slots[i].timestamp + Self.ttl <= now {
            slots[i].defined = false
        }
    }

    /// Processes a decrypted payload that starts with a fragment header.
    public func receive(
        _ buffer: UnsafeMutableRawBufferPointer, offset: Int, length: Int, now: Int64
    ) -> FragmentReceiveResult {
        guard length >= FragmentHeader.length else { return .drop(.headerNotFound) }
        let header: FragmentHeader
        switch FragmentHeader.decode(FragmentHeader.read(UnsafeRawBufferPointer(buffer), at: offset)) {
        case .success(let h): header = h
        case .failure(let reason): return .drop(reason)
        }
        let bodyOffset = offset + FragmentHeader.length
        let bodyLength = length - FragmentHeader.length
        if header.kind == .whole { return .packet(offset: bodyOffset, length: bodyLength) }

        // Every piece but the last is exactly the piece size; the last announces it.
        let size = header.kind == .last ? header.maxFragmentSize : bodyLength
        guard size & 3 == 0 else { return .drop(.badFragmentSize) }
        let s = Int(header.sequenceID) % Self.slotCount
        if slots[s].defined && slots[s].timestamp + Self.ttl <= now { slots[s].defined = false }
        if !slots[s].defined || slots[s].sequenceID != header.sequenceID || slots[s].pieceSize != size {
            slots[s] = Slot(
                defined: true, sequenceID: header.sequenceID, pieceSize: size, map: 0, length: 0, timestamp: now)
        }
        let start = header.index * size
        guard start + bodyLength <= capacity else {
            slots[s].defined = false
            return .drop(.bufferOverflow)
        }
        let base = s * capacity
        UnsafeMutableRawBufferPointer(rebasing: storage[base + start..<base + start + bodyLength])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[bodyOffset..<bodyOffset + bodyLength]))
        slots[s].length = max(slots[s].length, start + bodyLength)
        // The last piece marks itself and every higher index, so "all bits set" means complete.
        slots[s].map |= (header.kind == .last ? UInt32.max : 1) << UInt32(header.index)
        slots[s].timestamp = now
        guard slots[s].map == UInt32.max else { return .pending }
        slots[s].defined = false
        return .reassembled(UnsafeMutableRawBufferPointer(rebasing: storage[base..<base + slots[s].length]))
    }
}
