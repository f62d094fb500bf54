import Foundation
import Testing

/// Loads the golden vectors shipped as test resources. Missing fixtures fail loudly.
enum Vectors {
    static func url(_ path: String) throws -> URL {
        let base = try #require(Bundle.module.resourceURL, "test resources missing").appendingPathComponent("Vectors")
        let url = base.appendingPathComponent(path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            Issue.record("vector file missing: \(path)")
            throw CocoaError(.fileNoSuchFile)
        }
        return url
    }

    static func data(_ path: String) throws -> Data { try Data(contentsOf: url(path)) }
    static func text(_ path: String) throws -> String { try String(decoding: data(path), as: UTF8.self) }

    struct Packet {
        let frame: Int
        let sender: String
        let kind: String
        let decryptedPayload: [UInt8]
        let innerPacket: [UInt8]?
        let fragmentHeaderHex: String?
    }

    static func packets(_ set: String) throws -> [Packet] {
        let object = try JSONSerialization.jsonObject(with: data("\(set)/packets.json"))
        let root = try #require(object as? [String: Any])
        let list = try #require(root["packets"] as? [[String: Any]])
        return try list.map { p in
            Packet(
                frame: try need(p["pcap_frame"] as? Int),
                sender: try need(p["sender"] as? String),
                kind: try need(p["kind"] as? String),
                decryptedPayload: try need(hex(try need(p["decrypted_payload_hex"] as? String))),
                innerPacket: (p["inner_packet_hex"] as? String).flatMap(hex),
                fragmentHeaderHex: (p["fragment_header"] as? [String: Any])?["hex"] as? String)
        }
    }

    static func keyBytes() throws -> [UInt8] {
        let object = try JSONSerialization.jsonObject(with: data("keys.json"))
        let root = try #require(object as? [String: Any])
        return try need(hex(try need(root["raw_256_bytes_hex"] as? String)))
    }
}

struct MissingValue: Error {}

/// Unwraps or fails the test (usable where `#require` cannot nest).
func need<T>(_ value: T?, _ what: String = "value", sourceLocation: SourceLocation = #_sourceLocation) throws -> T {
    guard let value else {
        Issue.record("missing \(what)", sourceLocation: sourceLocation)
        throw MissingValue()
    }
    return value
}

func hex(_ s: String) -> [UInt8]? {
    let chars = Array(s.utf8)
    guard chars.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(chars.count / 2)
    var i = 0
    while i < chars.count {
        guard let b = UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
        out.append(b)
        i += 2
    }
    return out
}

func hexString(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

/// Deterministic generator for the fuzz-style tests (SplitMix64).
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &self) } }
}
