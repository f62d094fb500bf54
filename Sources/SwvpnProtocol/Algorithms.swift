/// Cipher and digest catalogue for static-key mode.
///
/// Static-key mode allows only CBC ciphers (or none): OpenVPN rejects AEAD, CFB and OFB modes at
/// start-up ("Cipher 'X' mode not supported"). Sizes are spec facts, so the pure layers (config
/// validation, OCC string, MTU maths) need no crypto library; SwvpnCrypto maps `name` to EVP.

/// A data-channel cipher. Corresponds to OpenVPN `--cipher`.
public struct CipherSpec: Sendable, Hashable, CustomStringConvertible {
    /// OpenSSL's canonical name (what OpenVPN prints in logs and in the OCC string).
    public let name: String
    /// Key bytes taken from the front of a key slot's 64-byte cipher half.
    public let keyLength: Int
    /// CBC block size; also the IV size. 0 for `none`.
    public let blockSize: Int
    /// True when the cipher lives in OpenSSL 3's legacy provider (Blowfish, CAST5, DES...).
    public let needsLegacyProvider: Bool

    public var isNone: Bool { blockSize == 0 }
    public var ivLength: Int { blockSize }
    public var keyBits: Int { keyLength * 8 }
    public var description: String { isNone ? "none" : name }

    public static let none = CipherSpec(name: "none", keyLength: 0, blockSize: 0, needsLegacyProvider: false)
    public static let bfCBC = CipherSpec(name: "BF-CBC", keyLength: 16, blockSize: 8, needsLegacyProvider: true)
    public static let aes128CBC = CipherSpec(
        name: "AES-128-CBC", keyLength: 16, blockSize: 16, needsLegacyProvider: false)
    public static let aes192CBC = CipherSpec(
        name: "AES-192-CBC", keyLength: 24, blockSize: 16, needsLegacyProvider: false)
    public static let aes256CBC = CipherSpec(
        name: "AES-256-CBC", keyLength: 32, blockSize: 16, needsLegacyProvider: false)
    public static let camellia128CBC = CipherSpec(
        name: "CAMELLIA-128-CBC", keyLength: 16, blockSize: 16, needsLegacyProvider: false)
    public static let camellia192CBC = CipherSpec(
        name: "CAMELLIA-192-CBC", keyLength: 24, blockSize: 16, needsLegacyProvider: false)
    public static let camellia256CBC = CipherSpec(
        name: "CAMELLIA-256-CBC", keyLength: 32, blockSize: 16, needsLegacyProvider: false)
    public static let desEDE3CBC = CipherSpec(
        name: "DES-EDE3-CBC", keyLength: 24, blockSize: 8, needsLegacyProvider: false)

    /// OpenVPN 2.6's static-key default when no `cipher` is configured.
    public static let openVPNDefault = bfCBC

    public static let all: [CipherSpec] = [
        .none, .bfCBC, .aes128CBC, .aes192CBC, .aes256CBC,
        .camellia128CBC, .camellia192CBC, .camellia256CBC, .desEDE3CBC,
    ]

    /// Case-insensitive lookup, as OpenVPN does (`aes-256-cbc` works).
    public static func named(_ name: String) -> CipherSpec? {
        let upper = name.uppercased()
        if upper == "NONE" { return CipherSpec.none }
        return all.first { $0.name == upper }
    }
}

/// An HMAC digest. Corresponds to OpenVPN `--auth`.
public struct DigestSpec: Sendable, Hashable, CustomStringConvertible {
    /// OpenSSL's canonical name.
    public let name: String
    /// Digest output size; the HMAC key is this many bytes of the slot's 64-byte HMAC half.
    public let length: Int

    public var isNone: Bool { length == 0 }
    public var description: String { isNone ? "none" : name }

    public static let none = DigestSpec(name: "none", length: 0)
    public static let md5 = DigestSpec(name: "MD5", length: 16)
    public static let sha1 = DigestSpec(name: "SHA1", length: 20)
    public static let sha224 = DigestSpec(name: "SHA224", length: 28)
    public static let sha256 = DigestSpec(name: "SHA256", length: 32)
    public static let sha384 = DigestSpec(name: "SHA384", length: 48)
    public static let sha512 = DigestSpec(name: "SHA512", length: 64)

    /// OpenVPN's default when no `auth` is configured.
    public static let openVPNDefault = sha1

    public static let all: [DigestSpec] = [.none, .md5, .sha1, .sha224, .sha256, .sha384, .sha512]

    /// Case-insensitive lookup; accepts OpenSSL's dashed aliases (`SHA-256`).
    public static func named(_ name: String) -> DigestSpec? {
        let upper = name.uppercased()
        if upper == "NONE" { return DigestSpec.none }
        let undashed = upper.hasPrefix("SHA-") ? "SHA" + upper.dropFirst(4) : upper
        return all.first { $0.name == undashed }
    }
}

/// Which 128-byte key slot sends and which receives. Corresponds to the direction argument of
/// OpenVPN `--secret file [dir]` and to `--key-direction`.
public enum KeyDirection: Sendable, Hashable {
    /// No direction: both ways use slot 0 ("bidirectional").
    case bidirectional
    /// Send with slot 0, receive with slot 1.
    case normal
    /// Send with slot 1, receive with slot 0.
    case inverse

    public var sendSlot: Int { self == .inverse ? 1 : 0 }
    public var receiveSlot: Int {
        switch self {
        case .bidirectional: 0
        case .normal: 1
        case .inverse: 0
        }
    }
    /// The value OpenVPN writes after `keydir` in the OCC string, if any.
    public var occValue: Int? {
        switch self {
        case .bidirectional: nil
        case .normal: 0
        case .inverse: 1
        }
    }
    /// The direction the peer must have for the two ends to match.
    public var complement: KeyDirection {
        switch self {
        case .bidirectional: .bidirectional
        case .normal: .inverse
        case .inverse: .normal
        }
    }
}

/// Compression framing on the data channel (PROTOCOL.md §8). swvpnd compresses only with
/// `allow-compression yes` (see `PayloadCompressor`); it frames exactly as a 2.6 peer with the same option does, so both ends agree on the first plaintext byte(s).
public enum CompressionFraming: Sendable, Hashable {
    /// No compression option: payload unchanged.
    case none
    /// `comp-lzo [no|yes|adaptive]`, `compress lzo`: `0xFA` prefix (uncompressed marker).
    case lzoPrefix
    /// `compress`, `compress stub`, `compress lz4`: `0xFB`, packet[1...], packet[0] ("swap").
    case stubSwap
    /// `compress stub-v2`, `compress lz4-v2`: unchanged unless packet[0] == 0x50 → `0x50 0x00` prefix.
    case stubV2

    /// v1 framings add a byte to link-mtu and to the MSS calculation.
    public var isV1: Bool { self == .lzoPrefix || self == .stubSwap }
    /// Largest number of bytes framing adds in front of a payload.
    public var maxOverhead: Int {
        switch self {
        case .none: 0
        case .lzoPrefix, .stubSwap: 1
        case .stubV2: 2
        }
    }
}
