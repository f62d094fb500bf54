import Foundation
import SwvpnProtocol
import Testing

/// Golden vectors captured from openvpn 2.6.14 (see Vectors/README.md), loaded via Bundle.module.
struct VectorSet: Decodable, Sendable {
    var name = ""
    let cipher: String
    let auth: String
    let transport: String
    let packets: [VectorPacket]

    enum CodingKeys: String, CodingKey { case cipher, auth, transport, packets }

    var layout: FrameLayout {
        FrameLayout(
            cipher: CipherSpec.named(cipher)!, digest: DigestSpec.named(auth)!,
            replayProtection: packets.first?.packetID != nil)
    }
}

struct VectorPacket: Decodable, Sendable {
    let pcapFrame: Int
    let sender: String
    let senderKeyDirection: Int?
    let wireHex: String
    let wireLen: Int
    let hmacHex: String?
    let ivHex: String?
    let packetID: UInt32?
    let packetIDTime: UInt32?
    let cbcPaddingBytes: Int?
    let decryptedPayloadHex: String

    enum CodingKeys: String, CodingKey {
        case pcapFrame = "pcap_frame", sender, senderKeyDirection = "sender_key_direction", wireHex = "wire_hex"
        case wireLen = "wire_len", hmacHex = "hmac_hex", ivHex = "iv_hex", packetID = "packet_id"
        case packetIDTime = "packet_id_time", cbcPaddingBytes = "cbc_padding_bytes"
        case decryptedPayloadHex = "decrypted_payload_hex"
    }

    var senderDirection: KeyDirection {
        switch senderKeyDirection {
        case 0: .normal
        case 1: .inverse
        default: .bidirectional
        }
    }
    var wire: [UInt8] { hexBytes(wireHex) }
    var payload: [UInt8] { hexBytes(decryptedPayloadHex) }
}

enum VectorFixtures {
    static func directory() throws -> URL {
        try #require(Bundle.module.url(forResource: "Vectors", withExtension: nil), "Vectors resource missing from the test bundle")
    }

    /// Every `*/packets.json`, sorted by directory name.
    static func sets() throws -> [VectorSet] {
        let root = try directory()
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
        var result: [VectorSet] = []
        for name in names {
            let file = root.appendingPathComponent(name).appendingPathComponent("packets.json")
            guard FileManager.default.fileExists(atPath: file.path) else { continue }
            var set = try JSONDecoder().decode(VectorSet.self, from: Data(contentsOf: file))
            set.name = name
            result.append(set)
        }
        return result
    }

    /// The capture key, from `raw_256_bytes_hex` (independent of the key-file parser).
    static func key() throws -> StaticKey {
        let data = try Data(contentsOf: directory().appendingPathComponent("keys.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let hex = try #require(object["raw_256_bytes_hex"] as? String)
        return try #require(StaticKey(bytes: hexBytes(hex)))
    }
}

func hexBytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    precondition(digits.count % 2 == 0, "odd hex length")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: preconditionFailure("bad hex digit")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let table = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes {
        out.append(table[Int(b >> 4)])
        out.append(table[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Deterministic generator for randomized tests (SplitMix64), so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Opens a copy of `wire`; returns the result and the payload bytes if any.
func openCopy(_ opener: DataChannelOpener, _ wire: [UInt8], now: Int64 = 0) -> (OpenResult, [UInt8]?) {
    // One spare byte so even an empty packet has a valid base address.
    var buffer = wire + [0]
    return buffer.withUnsafeMutableBytes { raw in
        let result = opener.open(raw.baseAddress!, length: wire.count, now: now)
        if case .payload(let offset, let length, _, _) = result {
            precondition(offset >= 0 && length >= 0 && offset + length <= wire.count)
            return (result, Array(raw[offset..<offset + length]))
        }
        return (result, nil)
    }
}

/// Seals `payload` in a buffer with exactly the layout's headroom and tailroom.
func sealCopy(_ sealer: DataChannelSealer, _ payload: [UInt8], now: UInt32, iv: [UInt8]? = nil) -> [UInt8]? {
    let headroom = sealer.layout.cryptoHeadroom
    let capacity = headroom + payload.count + sealer.layout.tailroom
    var buffer = [UInt8](repeating: 0xEE, count: max(capacity, 1))
    buffer.replaceSubrange(headroom..<headroom + payload.count, with: payload)
    let result = buffer.withUnsafeMutableBytes { raw -> SealResult in
        if let iv {
            return (iv + [0]).withUnsafeBytes { ivRaw in
                sealer.seal(raw.baseAddress!, payloadOffset: headroom, payloadLength: payload.count, capacity: capacity, now: now, iv: ivRaw.baseAddress!)
            }
        }
        return sealer.seal(raw.baseAddress!, payloadOffset: headroom, payloadLength: payload.count, capacity: capacity, now: now)
    }
    guard case .sealed(let start, let length) = result else { return nil }
    precondition(start == 0)
    return Array(buffer[start..<start + length])
}
