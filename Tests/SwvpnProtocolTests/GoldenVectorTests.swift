import SwvpnProtocol
import SwvpnTestSupport
import Testing

@Suite struct GoldenVectorTests {
    /// Opens every captured packet with the receiver's key, checks every field, then re-seals the
    /// payload with the captured IV and session time and gets the identical wire bytes.
    @Test func opensAndReencodesEveryCapturedPacket() throws {
        let key = try VectorFixtures.key()
        let sets = try VectorFixtures.sets()
        #expect(sets.count == 7)
        var checked = 0
        for set in sets {
            let layout = set.layout
            // One receiver per sender, fed in capture order, with the default replay window: a
            // real peer would have accepted every one of these.
            var openers: [String: DataChannelOpener] = [:]
            for packet in set.packets {
                let context = Comment(rawValue: "\(set.name) frame \(packet.pcapFrame)")
                let wire = packet.wire
                #expect(wire.count == packet.wireLen, context)
                let payload = packet.payload
                #expect(layout.wireLength(payload: payload.count) == wire.count, context)
                let macLength = layout.digest.length
                let ivLength = layout.cipher.ivLength
                #expect(hexString(wire[0..<macLength]) == (packet.hmacHex ?? ""), context)
                #expect(hexString(wire[macLength..<macLength + ivLength]) == (packet.ivHex ?? ""), context)

                let opener =
                    try openers[packet.sender]
                    ?? DataChannelOpener(
                        key: key, direction: packet.senderDirection.complement, layout: layout, replay: .init())
                openers[packet.sender] = opener
                let (result, opened) = openCopy(opener, wire)
                guard case .payload(_, _, let id, let time) = result else {
                    Issue.record(Comment(rawValue: "dropped: \(result) — \(context.rawValue)"))
                    continue
                }
                #expect(opened == payload, context)
                #expect(id == packet.packetID ?? 0, context)
                #expect(time == packet.packetIDTime ?? 0, context)

                let sealer = try DataChannelSealer(key: key, direction: packet.senderDirection, layout: layout)
                if let id = packet.packetID, let time = packet.packetIDTime {
                    sealer.packetID = PacketIDSender(nextID: id, time: time)
                }
                let iv = packet.ivHex.map(hexBytes) ?? []
                let resealed = sealCopy(sealer, payload, now: packet.packetIDTime ?? 1, iv: iv)
                #expect(resealed.map(hexString) == packet.wireHex, context)
                checked += 1
            }
        }
        #expect(checked == 140)
    }

    @Test func wrongKeyDirectionFailsHMACOnCapturedPackets() throws {
        let key = try VectorFixtures.key()
        let set = try #require(try VectorFixtures.sets().first { $0.name == "aes-256-cbc-sha256-keydir-udp" })
        for packet in set.packets {
            // Same direction as the sender means receiving with the other slot.
            let opener = try DataChannelOpener(
                key: key, direction: packet.senderDirection, layout: set.layout, replay: nil)
            #expect(openCopy(opener, packet.wire).0 == .dropped(.badHMAC))
        }
    }

    @Test func packetsHexListsTheSameWirePacketsAsPacketsJSON() throws {
        var total = 0
        for set in try VectorFixtures.sets() {
            let lines = try String(
                contentsOf: VectorFixtures.directory().appendingPathComponent(set.name).appendingPathComponent(
                    "packets.hex"),
                encoding: .utf8
            ).split(whereSeparator: \.isNewline).map { $0.lowercased() }
            #expect(lines == set.packets.map(\.wireHex), "\(set.name)")
            total += lines.count
        }
        #expect(total == 140)
    }

    @Test func tcpRecordsMatchPacketsWithLengthPrefix() throws {
        let set = try #require(try VectorFixtures.sets().first { $0.transport == "tcp" })
        let records = try String(
            contentsOf: VectorFixtures.directory().appendingPathComponent(set.name).appendingPathComponent(
                "tcp_stream_records.hex"),
            encoding: .utf8
        ).split(separator: "\n").map(String.init)
        #expect(records.count == set.packets.count)
        for (record, packet) in zip(records, set.packets) {
            let bytes = hexBytes(record)
            #expect(Int(bytes[0]) << 8 | Int(bytes[1]) == packet.wireLen)
            #expect(hexString(bytes.dropFirst(2)) == packet.wireHex)
        }
    }
}
