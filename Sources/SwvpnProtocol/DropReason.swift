/// Why the data channel dropped an incoming packet (PROTOCOL.md §3.6). A value, not an error: bad packets
/// are normal on the internet and feed counters, never exceptions.
public enum DropReason: Sendable, Hashable, CaseIterable {
    /// Zero-length datagram (OpenVPN ignores those before any crypto).
    case empty
    /// Shorter than the HMAC.
    case tooShort
    /// HMAC mismatch: wrong key or direction, corruption, garbage, a TLS-mode packet.
    case badHMAC
    /// Not enough bytes left for the IV.
    case missingIV
    /// IV present but no ciphertext.
    case missingPayload
    /// CBC decryption failed: bad PKCS#7 padding or not a whole number of blocks.
    case badPadding
    /// Plaintext shorter than packet-id + time.
    case shortPacketID
    /// Rejected by the replay window: duplicate, too old, id 0, or time backtrack.
    case replayed
    /// libcrypto refused an operation it should not refuse (not expected on good input).
    case cryptoFailure
    /// Larger than any packet the configured MTU allows (OpenVPN drops these too).
    case tooLong

    /// The text OpenVPN logs after `Authenticate/Decrypt packet error: `.
    public var openVPNText: String {
        switch self {
        case .empty: "empty packet"
        case .tooShort: "missing authentication info"
        case .badHMAC: "packet HMAC authentication failed"
        case .missingIV: "missing IV info"
        case .missingPayload: "missing payload"
        case .badPadding: "cipher final failed"
        case .shortPacketID: "error reading CBC packet-id"
        case .replayed: "bad packet ID (may be a replay)"
        case .cryptoFailure: "packet decryption failed"
        case .tooLong: "packet larger than the tunnel MTU allows"
        }
    }
}

/// Why the sealer could not produce a packet.
public enum SealFailure: Sendable, Hashable, CaseIterable {
    /// The 32-bit packet-id is exhausted and the clock has not moved past the session time
    /// (OpenVPN: `ENCRYPT ERROR: packet ID roll over`).
    case packetIDRollOver
    /// The caller's buffer lacks the layout's headroom or tailroom.
    case noRoom
    /// The sealer's DRBG could not supply an IV.
    case randomFailure
    /// libcrypto refused to encrypt or authenticate.
    case cryptoFailure
}
