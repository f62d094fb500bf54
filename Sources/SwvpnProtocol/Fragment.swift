/// `--fragment` framing (PROTOCOL.md §9.4): a 4-byte big-endian header in front of the (compression-framed)
/// payload, inside the encryption; every piece is its own encrypted packet.

public struct FragmentHeader: Sendable, Hashable {
    public enum Kind: UInt8, Sendable {
        case whole = 0
        case notLast = 1
        case last = 2
    }

    public static let length = 4
    /// At most 32 pieces per datagram (5-bit index).
    public static let maxPieces = 32

    public var kind: Kind
    /// Datagram sequence id (8 bits).
    public var sequenceID: UInt8
    /// Piece index (0...31).
    public var index: Int
    /// Size of every piece but the last; carried only in the last piece (multiple of 4).
    public var maxFragmentSize: Int

    public static let whole = FragmentHeader(kind: .whole, sequenceID: 0, index: 0, maxFragmentSize: 0)

    public init(kind: Kind, sequenceID: UInt8, index: Int, maxFragmentSize: Int) {
        precondition((0..<Self.maxPieces).contains(index) && maxFragmentSize & 3 == 0 && maxFragmentSize >> 2 < 1 << 14)
        self.kind = kind
        self.sequenceID = sequenceID
        self.index = index
        self.maxFragmentSize = maxFragmentSize
    }

    /// bits 0-1 type, 2-9 sequence id, 10-14 index, 15-28 max size / 4 (last piece only).
    public var rawValue: UInt32 {
        var v = UInt32(kind.rawValue) | UInt32(sequenceID) << 2 | UInt32(index) << 10
        if kind == .last { v |= UInt32(maxFragmentSize >> 2) << 15 }
        return v
    }

    public static func decode(_ raw: UInt32) -> Result<FragmentHeader, FragmentDropReason> {
        let seq = UInt8(truncatingIfNeeded: raw >> 2)
        let index = Int(raw >> 10 & 0x1f)
        switch raw & 3 {
        case 0:
            guard raw & 0x7ffc == 0 else { return .failure(.spuriousWholeFlags) }
            return .success(.whole)
        case 1:
            return .success(FragmentHeader(kind: .notLast, sequenceID: seq, index: index, maxFragmentSize: 0))
        case 2:
            let size = Int(raw >> 15 & 0x3fff) << 2
            return .success(FragmentHeader(kind: .last, sequenceID: seq, index: index, maxFragmentSize: size))
        default:
            return .failure(.testTypeNotImplemented)
        }
    }

    @inline(__always)
    public func write(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        let v = rawValue
        buffer[offset] = UInt8(truncatingIfNeeded: v >> 24)
        buffer[offset + 1] = UInt8(truncatingIfNeeded: v >> 16)
        buffer[offset + 2] = UInt8(truncatingIfNeeded: v >> 8)
        buffer[offset + 3] = UInt8(truncatingIfNeeded: v)
    }

    @inline(__always)
    public static func read(_ buffer: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(buffer[offset]) << 24 | UInt32(buffer[offset + 1]) << 16 | UInt32(buffer[offset + 2]) << 8
            | UInt32(buffer[offset + 3])
    }
}

/// Why an inbound fragment was dropped (openvpn logs these as "FRAG_IN error flags=...: <reason>").
public enum FragmentDropReason: Error, Sendable, Hashable, CustomStringConvertible {
    case headerNotFound
    case spuriousWholeFlags
    case testTypeNotImplemented
    case badFragmentSize
    case bufferOverflow

    public var description: String {
        switch self {
        case .headerNotFound: "fragment header not found"
        case .spuriousWholeFlags: "spurious FRAG_WHOLE flags"
        case .testTypeNotImplemented: "FRAG_TEST not implemented"
        case .badFragmentSize: "bad fragment size"
        case .bufferOverflow: "fragment buffer overflow"
        }
    }
}

/// How one outgoing datagram is cut: piece `i` is `range(piece: i)` of the datagram, sent after
/// `header(piece: i)`. A datagram that fits is one `.whole` piece.
public struct FragmentPlan: Sendable, Hashable {
    public let totalLength: Int
    public let pieceSize: Int
    public let count: Int
    public let sequenceID: UInt8

    public var isWhole: Bool { count == 1 && pieceSize == 0 }

    public func header(piece i: Int) -> FragmentHeader {
        if isWhole { return .whole }
        let last = i == count - 1
        return FragmentHeader(
            kind: last ? .last : .notLast, sequenceID: sequenceID, index: i,
            maxFragmentSize: last ? pieceSize : 0)
    }

    public func range(piece i: Int) -> Range<Int> {
        if isWhole { return 0..<totalLength }
        let start = i * pieceSize
        return start..<min(totalLength, start + pieceSize)
    }

    /// Writes header ‖ piece `i` of `datagram` at `destination[offset...]`; returns bytes written,
    /// or nil (drop the datagram) when the piece does not exist, does not fit, or its size cannot
    /// be encoded in the header.
    public func write(
        piece i: Int, of datagram: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer,
        at offset: Int
    ) -> Int? {
        guard (0..<count).contains(i), i < FragmentHeader.maxPieces, pieceSize & 3 == 0, pieceSize >> 2 < 1 << 14,
            totalLength <= datagram.count, offset >= 0
        else { return nil }
        let r = range(piece: i)
        guard offset + FragmentHeader.length + r.count <= destination.count else { return nil }
        header(piece: i).write(into: destination, at: offset)
        let body = offset + FragmentHeader.length
        UnsafeMutableRawBufferPointer(rebasing: destination[body..<body + r.count])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: datagram[r]))
        return FragmentHeader.length + r.count
    }
}

/// Outgoing side of `--fragment`. Not thread-safe; one per session.
public struct FragmentSplitter: Sendable {
    /// Largest piece payload (after the fragment header), from `maxFragmentSize(...)`.
    public let maxFragmentSize: Int
    private var sequenceID: UInt8

    /// `initialSequenceID` should be random, as openvpn's is; the first fragmented datagram uses
    /// the next value.
    public init(maxFragmentSize: Int, initialSequenceID: UInt8) {
        precondition(maxFragmentSize >= 4)
        self.maxFragmentSize = maxFragmentSize
        self.sequenceID = initialSequenceID
    }

    /// Plans the datagram of `length` bytes; nil when it would need more than 32 pieces (drop it).
    public mutating func plan(length: Int) -> FragmentPlan? {
        if length <= maxFragmentSize {
            return FragmentPlan(totalLength: length, pieceSize: 0, count: 1, sequenceID: 0)
        }
        let size = Self.optimalPieceSize(length: length, max: maxFragmentSize)
        guard length <= size * FragmentHeader.maxPieces else { return nil }
        sequenceID &+= 1
        return FragmentPlan(
            totalLength: length, pieceSize: size, count: (length + size - 1) / size, sequenceID: sequenceID)
    }

    /// Evens out piece sizes (openvpn's rule): when the remainder is small, shrink all pieces so
    /// the last is not a runt; always a multiple of 4.
    static func optimalPieceSize(length: Int, max: Int) -> Int {
        let aligned = max & ~3
        let div = length / aligned
        let mod = length % aligned
        if div > 0 && mod > 0 && mod < aligned * 3 / 4 {
            return Swift.min(aligned, (max - (max - mod) / (div + 1) + 3) & ~3)
        }
        return aligned
    }

    /// The largest piece payload for `--fragment fragment` (PROTOCOL.md §9.4, openvpn's frame maths):
    /// what is left of `fragment` after the crypto header (and outer IP/UDP headers when
    /// `--fragment n mtu`), trimmed to whole CBC blocks minus a padding byte, minus the fragment
    /// header and (CBC) the packet-id/time that every piece carries.
    public static func maxFragmentSize(
        fragment: Int, layout: FrameLayout, transport: LinkTransport,
        includeEncapsulation: Bool = false, underlay: UnderlayFamily = .ipv4
    ) -> Int {
        var overhead = layout.protocolHeaderSize(transport: transport)
        if includeEncapsulation { overhead += underlay.datagramOverhead(transport) }
        var size = layout.payloadMaxCBC(target: fragment - overhead) - FragmentHeader.length
        if !layout.cipher.isNone && layout.replayProtection { size -= WireFormat.packetIDLength }
        return size
    }
}
