/// TCP transport framing (PROTOCOL.md §5): every packet is a record `uint16 BE length ‖ packet`.

public enum TCPFraming {
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
            if prefixBytes == 2 {
                let limit = min(maxRecordLength, destination.count)
                if prefix == 0 || prefix > limit {
                    let e = TCPFramingError(length: prefix, maximum: limit)
                    failed = e
                    return .error(e)
                }
            }
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
