import SwvpnProtocol
import Testing

struct PingTests {
    @Test func recognisesCapturedPingsOnly() throws {
        let packets = try Vectors.packets("default-bf-cbc-sha1-udp")
        #expect(packets.filter { $0.kind.contains("PING") }.count == 13)
        for p in packets {
            #expect(Ping.isPing(p.decryptedPayload) == p.kind.contains("PING"), "frame \(p.frame)")
        }
    }

    @Test func requiresExactLength() {
        #expect(!Ping.isPing(WireFormat.pingMagic + [0]))
        #expect(!Ping.isPing(Array(WireFormat.pingMagic.dropLast())))
        var flipped = WireFormat.pingMagic
        flipped[15] ^= 1
        #expect(!Ping.isPing(flipped))
    }

    @Test func writesMagicAtOffset() {
        var buf = [UInt8](repeating: 0xee, count: 40)
        let n = buf.withUnsafeMutableBytes { Ping.write(into: $0, at: 8) }
        #expect(n == 16)
        #expect(Array(buf[8..<24]) == WireFormat.pingMagic)
        #expect(buf[7] == 0xee && buf[24] == 0xee)
    }
}
