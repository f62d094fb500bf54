import Testing

@testable import SwvpnHealth

struct SnapshotJSONTests {
    @Test func encodesEveryFieldDeterministically() throws {
        let s = Fixtures.upSnapshot()
        #expect(s.json == s.json)
        let v = try JSONValue.parse(s.json)
        #expect(v["tunnel"]?.string == "site-a")
        #expect(v["state"]?.string == "up")
        #expect(v["reason"] == .null)
        #expect(v["healthy"]?.bool == true)
        #expect(v["last_received_seconds"]?.int64 == 2)
        #expect(v["last_sent_seconds"]?.int64 == 0)
        #expect(v["traffic"]?["link_read_bytes"]?.uint64 == 3_600_000)
        #expect(v["drops"]?["bad_hmac"]?.uint64 == 3)
        #expect(v["probe"]?["loss_percent"]?.int64 == 10)
        #expect(v["probe"]?["rtt_ms"] == .number("0.813"))
        #expect(v["probe"]?["last_reply_seconds"]?.int64 == 1)
        guard case .object(let members) = v else {
            Issue.record("not an object")
            return
        }
        #expect(
            members.map(\.0) == [
                "tunnel", "version", "pid", "state", "reason", "healthy", "peer", "local", "last_received_seconds",
                "last_sent_seconds", "device", "mtu", "tunnel_address", "tunnel_peer_address", "routes", "ip_forward",
                "traffic", "drops", "restarts", "uptime_seconds", "unix_time", "probe",
            ])
    }

    @Test func roundTripsThroughTheDecoder() throws {
        var s = Fixtures.upSnapshot()
        s.probe?.rttMilliseconds = 0.812  // 3 decimals survive exactly
        #expect(try TunnelSnapshot(json: s.json, source: "test") == s)
        var waiting = TunnelSnapshot(tunnel: "b", version: "0.1.0")
        waiting.lastReceivedSeconds = nil
        #expect(try TunnelSnapshot(json: waiting.json, source: "test") == waiting)
        #expect(waiting.json.contains("\"probe\":null"))
        #expect(waiting.json.contains("\"last_received_seconds\":null"))
    }

    @Test func keepsFullUInt64Counters() throws {
        var s = TunnelSnapshot(tunnel: "x", version: "1")
        s.traffic.linkReadBytes = .max
        #expect(try TunnelSnapshot(json: s.json, source: "t").traffic.linkReadBytes == .max)
    }

    @Test func escapesHostileText() throws {
        var s = TunnelSnapshot(tunnel: "a\"b\\c\n\u{1}\u{7F}é\u{2028}", version: "1")
        s.reason = "</script>"
        let text = s.json
        #expect(!text.contains("\n"))
        #expect(text.contains(#""tunnel":"a\"b\\c\n\u0001\u007fé\u2028""#))
        #expect(try TunnelSnapshot(json: text, source: "t").tunnel == s.tunnel)
    }

    @Test func stateAndReasonAsTheContractSays() throws {
        var s = TunnelSnapshot(tunnel: "x", version: "1")
        s.state = .lost
        s.reason = "ping-restart"
        let v = try JSONValue.parse(s.json)
        #expect(v["state"]?.string == "lost")
        #expect(v["reason"]?.string == "ping-restart")
        #expect(v["healthy"]?.bool == false)
    }

    @Test func decoderNamesTheSource() {
        #expect(throws: SnapshotDecodingError.self) {
            try TunnelSnapshot(json: "{\"tunnel\":1}", source: "/run/swvpnd/a.sock")
        }
        do {
            _ = try TunnelSnapshot(json: "{", source: "/run/swvpnd/a.sock")
        } catch {
            #expect(error.description.hasPrefix("/run/swvpnd/a.sock: invalid JSON"))
        }
    }

    @Test func parserRejectsMalformedInput() throws {
        for bad in [
            "", "{", "[1,]", "{\"a\" 1}", "01", "1.", "\"\\x\"", "\"\u{1}\"", "nul", "[1] 2", "\"\\ud800\"",
            String(repeating: "[", count: 40) + String(repeating: "]", count: 40),
        ] {
            #expect(throws: JSONParseError.self, "\(bad)") { try JSONValue.parse(bad) }
        }
        #expect(
            try JSONValue.parse(" {\"a\":[true,false,null,-1.5e3,\"\\u00e9\\ud83d\\ude00\"]} ")
                == .object([("a", .array([.bool(true), .bool(false), .null, .number("-1.5e3"), .string("é😀")]))]))
    }

    @Test func decimalFormatting() {
        #expect(JSONWriter.decimal(0.8125, places: 3) == "0.813")
        #expect(JSONWriter.decimal(12, places: 3) == "12")
        #expect(JSONWriter.decimal(0.0001, places: 3) == "0")
        #expect(JSONWriter.decimal(-1.5, places: 2) == "-1.5")
        #expect(JSONWriter.decimal(1.05, places: 1) == "1.1" || JSONWriter.decimal(1.05, places: 1) == "1")
    }
}
