import Foundation
import SwvpnTestSupport
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
        /// The options string of an OCC_REPLY.
        let occOptionsString: String?
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
                fragmentHeaderHex: (p["fragment_header"] as? [String: Any])?["hex"] as? String,
                occOptionsString: p["occ_options_string"] as? String)
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

/// Optional-returning hex decoder for fixture strings that may be malformed.
func hex(_ s: String) -> [UInt8]? {
    guard s.utf8.count % 2 == 0, s.utf8.allSatisfy({ $0.isHexDigit }) else { return nil }
    return hexBytes(s)
}

extension SeededGenerator {
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &self) } }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (0x30...0x39).contains(self) || (0x61...0x66).contains(self) || (0x41...0x46).contains(self)
    }
}
