/// The 256-byte pre-shared key of OpenVPN static-key mode (PROTOCOL.md §1–2).
///
/// Layout: two 128-byte slots; each slot is 64 bytes of cipher material then 64 bytes of HMAC
/// material. A cipher with an N-byte key uses the first N bytes of the cipher half, a digest of M
/// bytes the first M bytes of the HMAC half. There is no KDF.
///
/// The key is never printed: `description` is redacted so it cannot reach a log by accident.
public struct StaticKey: Sendable, Equatable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// `bytes` must be exactly `WireFormat.keyFileLength` long.
    public init?(bytes: [UInt8]) {
        guard bytes.count == WireFormat.keyFileLength else { return nil }
        self.bytes = bytes
    }

    public func cipherKey(slot: Int, length: Int) -> ArraySlice<UInt8> {
        precondition((0...1).contains(slot) && (0...WireFormat.slotHalfLength).contains(length))
        let start = slot * WireFormat.slotLength
        return bytes[start..<start + length]
    }

    public func hmacKey(slot: Int, length: Int) -> ArraySlice<UInt8> {
        precondition((0...1).contains(slot) && (0...WireFormat.slotHalfLength).contains(length))
        let start = slot * WireFormat.slotLength + WireFormat.slotHalfLength
        return bytes[start..<start + length]
    }

    public var description: String { "StaticKey(<redacted>)" }
}
