import Foundation
import SwvpnProtocol
import SwvpnTestSupport
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
        case pcapFrame = "pcap_frame"
        case sender
        case senderKeyDirection = "sender_key_direction"
        case wireHex = "wire_hex"
        case wireLen = "wire_len"
        case hmacHex = "hmac_hex"
        case ivHex = "iv_hex"
        case packetID = "packet_id"
        case packetIDTime = "packet_id_time"
        case cbcPaddingBytes = "cbc_padding_bytes"
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
        try #require(
            Bundle.module.url(forResource: "Vectors", withExtension: nil),
            "Vectors resource missing from the test bundle")
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
                sealer.seal(
                    raw.baseAddress!, payloadOffset: headroom, payloadLength: payload.count, capacity: capacity,
                    now: now, iv: ivRaw.baseAddress!)
            }
        }
        return sealer.seal(
            raw.baseAddress!, payloadOffset: headroom, payloadLength: payload.count, capacity: capacity, now: now)
    }
    guard case .sealed(let start, let length) = result else { return nil }
    precondition(start == 0)
    return Array(buffer[start..<start + length])
}
