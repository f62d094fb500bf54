import SwvpnCrypto

/// The 256-byte pre-shared key of OpenVPN static-key mode (PROTOCOL.md §1–2).
///
/// Layout: two 128-byte slots; each slot is 64 bytes of cipher material then 64 bytes of HMAC
/// material. A cipher with an N-byte key uses the first N bytes of the cipher half, a digest of M
/// bytes the first M bytes of the HMAC half. There is no KDF.
///
/// The key is never printed: `description` is redacted so it cannot reach a log by accident. Its
/// bytes are wiped (`OPENSSL_cleanse`) when the last copy of the key is dropped (SIGHUP reload,
/// restart with a new key, exit of the controller).
public struct StaticKey: Sendable, Equatable, CustomStringConvertible {
    /// Owns the bytes so they can be wiped when the key goes away.
    private final class Material: @unchecked Sendable {
        var bytes: [UInt8]
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        deinit { SecureMemory.wipe(&bytes) }
    }

    private let material: Material
    public var bytes: [UInt8] { material.bytes }

    /// `bytes` must be exactly `WireFormat.keyFileLength` long.
    public init?(bytes: [UInt8]) {
        guard bytes.count == WireFormat.keyFileLength else { return nil }
        material = Material(bytes)
    }

    public static func == (a: StaticKey, b: StaticKey) -> Bool { a.material.bytes == b.material.bytes }

    public func cipherKey(slot: Int, length: Int) -> ArraySlice<UInt8> {
        precondition((0...1).contains(slot) && (0...WireFormat.slotHalfLength).contains(length))
        let start = slot * WireFormat.slotLength
        return material.bytes[start..<start + length]
    }

    public func hmacKey(slot: Int, length: Int) -> ArraySlice<UInt8> {
        precondition((0...1).contains(slot) && (0...WireFormat.slotHalfLength).contains(length))
        let start = slot * WireFormat.slotLength + WireFormat.slotHalfLength
        return material.bytes[start..<start + length]
    }

    public var description: String { "StaticKey(<redacted>)" }
}
