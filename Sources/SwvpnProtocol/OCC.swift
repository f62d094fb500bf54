/// OCC (options consistency check) messages carried inside data packets (PROTOCOL.md §7.1).
///
/// Payload = 16-byte magic ‖ opcode ‖ body. Anything starting with the magic is consumed and never
/// written to tun, whatever the opcode.
public enum OCCMessage: Sendable, Hashable {
    case request
    /// The sender's options string (sent NUL-terminated).
    case reply(String)
    /// `--mtu-test`: asks for an OCC_MTU_LOAD of about this many bytes.
    case mtuLoadRequest(size: UInt16)
    /// `--mtu-test` filler of `length` body bytes.
    case mtuLoad(length: Int)
    case mtuRequest
    case mtuReply(largestReceived: UInt16, largestSent: UInt16)
    /// Peer is going away: the receiver soft-restarts ("remote-exit").
    case exit
    /// Magic present but unknown opcode, no opcode, or a truncated body: swallow silently.
    case unrecognized(opcode: UInt8?)

    public enum Opcode: UInt8, Sendable {
        case request = 0
        case reply = 1
        case mtuLoadRequest = 2
        case mtuLoad = 3
        case mtuRequest = 4
        case mtuReply = 5
        case exit = 6
    }

    public static let magicLength = 16

    /// True when `payload` starts with the OCC magic (cheap check for the receive path).
    @inline(__always)
    public static func hasMagic(_ payload: UnsafeRawBufferPointer) -> Bool {
        guard payload.count >= magicLength else { return false }
        return WireFormat.occMagic.withUnsafeBytes { magic in
            for i in 0..<magicLength where payload[i] != magic[i] { return false }
            return true
        }
    }

    /// Decodes a decrypted, unframed payload; nil when it is not an OCC message at all.
    public static func decode(_ payload: UnsafeRawBufferPointer) -> OCCMessage? {
        guard hasMagic(payload) else { return nil }
        guard payload.count > magicLength else { return .unrecognized(opcode: nil) }
        let opcode = payload[magicLength]
        let body = UnsafeRawBufferPointer(rebasing: payload[(magicLength + 1)...])
        func u16(_ at: Int) -> UInt16 { UInt16(body[at]) << 8 | UInt16(body[at + 1]) }
        switch Opcode(rawValue: opcode) {
        case .request: return .request
        case .reply:
            // openvpn forces the last byte to NUL and reads a C string, so the last byte never
            // belongs to the string even when the sender forgot the terminator.
            guard body.count > 0 else { return .reply("") }
            var end = 0
            while end < body.count - 1 && body[end] != 0 { end += 1 }
            return .reply(String(decoding: UnsafeRawBufferPointer(rebasing: body[..<end]), as: UTF8.self))
        case .mtuLoadRequest:
            guard body.count >= 2 else { return .unrecognized(opcode: opcode) }
            return .mtuLoadRequest(size: u16(0))
        case .mtuLoad: return .mtuLoad(length: body.count)
        case .mtuRequest: return .mtuRequest
        case .mtuReply:
            guard body.count >= 4 else { return .unrecognized(opcode: opcode) }
            return .mtuReply(largestReceived: u16(0), largestSent: u16(2))
        case .exit: return .exit
        case nil: return .unrecognized(opcode: opcode)
        }
    }

    public static func decode(_ payload: [UInt8]) -> OCCMessage? {
        payload.withUnsafeBytes { decode($0) }
    }

    /// Bytes `encode` writes; nil for `.unrecognized`, which cannot be sent.
    public var encodedLength: Int? {
        let base = Self.magicLength + 1
        switch self {
        case .request, .mtuRequest, .exit: return base
        case .reply(let s): return base + s.utf8.count + 1
        case .mtuLoadRequest: return base + 2
        case .mtuLoad(let length): return base + max(0, length)
        case .mtuReply: return base + 4
        case .unrecognized: return nil
        }
    }

    /// Writes the message at `offset`; returns its length, or nil if it does not fit (or is
    /// `.unrecognized`). Mtu-load filler is zeros.
    public func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int? {
        guard let length = encodedLength, offset >= 0, offset + length <= buffer.count else { return nil }
        WireFormat.occMagic.withUnsafeBytes { magic in
            UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + Self.magicLength]).copyMemory(from: magic)
        }
        var p = offset + Self.magicLength
        func put(_ b: UInt8) {
            buffer[p] = b
            p += 1
        }
        func put16(_ v: UInt16) {
            put(UInt8(v >> 8))
            put(UInt8(v & 0xff))
        }
        switch self {
        case .request: put(Opcode.request.rawValue)
        case .reply(let s):
            put(Opcode.reply.rawValue)
            for b in s.utf8 { put(b) }
            put(0)
        case .mtuLoadRequest(let size):
            put(Opcode.mtuLoadRequest.rawValue)
            put16(size)
        case .mtuLoad(let n):
            put(Opcode.mtuLoad.rawValue)
            for _ in 0..<max(0, n) { put(0) }
        case .mtuRequest: put(Opcode.mtuRequest.rawValue)
        case .mtuReply(let r, let s):
            put(Opcode.mtuReply.rawValue)
            put16(r)
            put16(s)
        case .exit: put(Opcode.exit.rawValue)
        case .unrecognized: return nil
        }
        return length
    }

    /// Encoded bytes (allocates; OCC is rare, so fine off the hot path).
    public var bytes: [UInt8] {
        guard let n = encodedLength else { return [] }
        var out = [UInt8](repeating: 0, count: n)
        _ = out.withUnsafeMutableBytes { encode(into: $0, at: 0) }
        return out
    }
}
