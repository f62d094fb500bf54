/// TCP transport framing (PROTOCOL.md §5): every packet is a record `uint16 BE length ‖ packet`.

public enum TCPFraming {
    /// The largest packet a record can carry (the length is 16 bits). Longer packets are dropped
    /// before framing (`canFrame`), never truncated.
    public static let maxRecordLength = Int(UInt16.max)

    @inline(__always)
    public static func canFrame(length: Int) -> Bool { length > 0 && length <= maxRecordLength }

    /// Writes the length prefix into the 2 bytes of headroom before the packet; returns the record.
    @inline(__always)
    public static func writeLengthPrefix(
        _ buffer: UnsafeMutableRawBufferPointer, offset: Int, length: Int
    ) -> (offset: Int, length: Int) {
        precondition(offset >= WireFormat.tcpLengthPrefix && length > 0 && length <= Int(UInt16.max))
        buffer[offset - 2] = UInt8(truncatingIfNeeded: length >> 8)
        buffer[offset - 1] = UInt8(truncatingIfNeeded: length)
        return (offset - 2, length + 2)
    }
}

/// A bad record length: openvpn restarts the TCP connection on it.
public struct TCPFramingError: Error, Sendable, Hashable, CustomStringConvertible {
    public let length: Int
    public let maximum: Int
    public init(length: Int, maximum: Int) {
        self.length = length
        self.maximum = maximum
    }
    public var description: String {
        "Bad encapsulated packet length from peer (\(length)), which must be > 0 and <= \(maximum)"
            + " -- please ensure that --tun-mtu or --link-mtu is equal on both peers"
    }
}

public enum TCPRecordReadResult: Sendable, Hashable {
    /// The whole chunk was consumed and no record is complete yet.
    case needMore
    /// A record of `length` bytes is now at the start of the destination; `consumed` bytes of the
    /// chunk were used. Feed the rest of the chunk (with a fresh destination) next.
    case record(length: Int, consumed: Int)
    /// The stream is unusable: close the connection.
    case error(TCPFramingError)
}

/// Reassembles records from arbitrary stream chunks into caller-provided packet buffers. Keeps only
/// a few integers of state, so it never allocates.
///
/// Contract: pass the same destination (same memory) until `.record` is returned; the partial
/// record lives there. Not thread-safe.
public struct TCPRecordReader: Sendable {
    public let maxRecordLength: Int
    private var prefix: Int = 0
    private var prefixBytes = 0
    private var filled = 0
    private var failed: TCPFramingError?

    public init(maxRecordLength: Int) {
        precondition(maxRecordLength > 0 && maxRecordLength <= Int(UInt16.max))
        self.maxRecordLength = maxRecordLength
    }

    /// Forget any partial record (new connection).
    public mutating func reset() {
        prefix = 0
        prefixBytes = 0
        filled = 0
        failed = nil
    }

    /// Cuts the next record out of `stream`, bytes a caller staged itself (records back to back from
    /// its start), without copying: `.record(length, consumed)` means the record is
    /// `stream[consumed - length ..< consumed]`; `.needMore` that at most part of one record is there
    /// (nothing consumed). Use either this or `read(from:into:)` on one reader, not both.
    @inline(__always)
    public mutating func next(in stream: UnsafeRawBufferPointer, limit: Int = .max) -> TCPRecordReadResult {
        if let failed { return .error(failed) }
        guard stream.count >= WireFormat.tcpLengthPrefix else { return .needMore }
        let length = Int(stream[0]) << 8 | Int(stream[1])
        if let e = check(length, limit: limit) { return .error(e) }
        guard stream.count >= WireFormat.tcpLengthPrefix + length else { return .needMore }
        return .record(length: length, consumed: WireFormat.tcpLengthPrefix + length)
    }

    /// A zero or oversized length breaks the stream for good (until `reset`).
    @inline(__always)
    private mutating func check(_ length: Int, limit: Int) -> TCPFramingError? {
        let maximum = min(maxRecordLength, limit)
        guard length == 0 || length > maximum else { return nil }
        let e = TCPFramingError(length: length, maximum: maximum)
        failed = e
        return e
    }

    public mutating func read(
        from chunk: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer
    ) -> TCPRecordReadResult {
        if let failed { return .error(failed) }
        var i = 0
        while prefixBytes < 2 {
            guard i < chunk.count else { return .needMore }
            prefix = prefix << 8 | Int(chunk[i])
            prefixBytes += 1
            i += 1
            if prefixBytes == 2, let e = check(prefix, limit: destination.count) { return .error(e) }
        }
        let take = min(prefix - filled, chunk.count - i)
        if take > 0 {
            UnsafeMutableRawBufferPointer(rebasing: destination[filled..<filled + take])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: chunk[i..<i + take]))
            filled += take
            i += take
        }
        guard filled == prefix else { return .needMore }
        let length = prefix
        prefix = 0
        prefixBytes = 0
        filled = 0
        return .record(length: length, consumed: i)
    }
}
