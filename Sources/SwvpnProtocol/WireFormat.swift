/// Specification constants of the static-key data channel (see docs: static-key-protocol §3, §6, §7).
public enum WireFormat {
    /// Bytes of packet-id (4) plus session timestamp (4): the long form, always used in static-key mode.
    public static let packetIDLength = 8
    /// The key file carries two slots of 128 bytes: 64 cipher bytes then 64 HMAC bytes each.
    public static let keyFileLength = 256
    public static let slotLength = 128
    public static let slotHalfLength = 64
    /// TCP records are prefixed by a 2-byte big-endian length.
    public static let tcpLengthPrefix = 2
    /// Default UDP/TCP port of OpenVPN.
    public static let defaultPort: UInt16 = 1194
    /// Keepalive ping payload: a packet whose plaintext payload is exactly these 16 bytes.
    public static let pingMagic: [UInt8] = [
        0x2a, 0x18, 0x7b, 0xf3, 0x64, 0x1e, 0xb4, 0xcb, 0x07, 0xed, 0x2d, 0x0a, 0x98, 0x1f, 0xc7, 0x48,
    ]
    /// Prefix of every OCC message, followed by a one-byte opcode.
    public static let occMagic: [UInt8] = [
        0x28, 0x7f, 0x34, 0x6b, 0xd4, 0xef, 0x7a, 0x81, 0x2d, 0x56, 0xb8, 0xd3, 0xaf, 0xc5, 0x45, 0x9c,
    ]
}

/// Sizes the packet path needs, computed once per cipher suite (OpenVPN's `struct frame` idea):
/// headroom in front of a payload so every header is written in place, tailroom for padding.
public struct FrameLayout: Sendable, Hashable {
    public let cipher: CipherSpec
    public let digest: DigestSpec
    /// False with `--no-replay`: no packet-id/time on the wire at all.
    public let replayProtection: Bool

    public init(cipher: CipherSpec, digest: DigestSpec, replayProtection: Bool = true) {
        self.cipher = cipher
        self.digest = digest
        self.replayProtection = replayProtection
    }

    /// HMAC ‖ IV ‖ packet-id/time in front of the (framed) payload.
    public var cryptoHeadroom: Int {
        digest.length + cipher.ivLength + (replayProtection ? WireFormat.packetIDLength : 0)
    }
    /// PKCS#7 always adds 1...blockSize bytes.
    public var tailroom: Int { cipher.blockSize }

    /// Wire size of a sealed packet whose plaintext payload (after framing) is `payload` bytes.
    public func wireLength(payload: Int) -> Int {
        let inner = (replayProtection ? WireFormat.packetIDLength : 0) + payload
        guard !cipher.isNone else { return digest.length + inner }
        let b = cipher.blockSize
        return digest.length + b + b * (inner / b + 1)
    }
}
