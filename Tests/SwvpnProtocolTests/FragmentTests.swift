import SwvpnProtocol
import SwvpnTestSupport
import Testing

struct FragmentTests {
    static let set = "aes-256-cbc-sha256-noreplay-fragment-udp"
    static let layout = FrameLayout(cipher: .aes256CBC, digest: .sha256, replayProtection: false)

    @Test func decodesCapturedHeaders() throws {
        let h1 = try FragmentHeader.decode(0x0000_00a1).get()
        #expect(h1 == FragmentHeader(kind: .notLast, sequenceID: 40, index: 0, maxFragmentSize: 0))
        let h2 = try FragmentHeader.decode(0x0059_84a2).get()
        #expect(h2 == FragmentHeader(kind: .last, sequenceID: 40, index: 1, maxFragmentSize: 716))
        #expect(h1.rawValue == 0xa1 && h2.rawValue == 0x0059_84a2)
        #expect(try FragmentHeader.decode(0).get() == .whole)
        #expect(FragmentHeader.decode(0x0000_0004) == .failure(.spuriousWholeFlags))
        #expect(FragmentHeader.decode(0x0000_0003) == .failure(.testTypeNotImplemented))
    }

    @Test func splitsLikeOpenVPN() throws {
        let packets = try Vectors.packets(Self.set)
        let first = try #require(packets.first { $0.frame == 4 })
        let second = try #require(packets.first { $0.frame == 5 })
        let datagram = try #require(first.innerPacket) + (try #require(second.innerPacket))
        #expect(datagram.count == 1428)

        let maxSize = FragmentSplitter.maxFragmentSize(fragment: 1000, layout: Self.layout, transport: .udp)
        var splitter = FragmentSplitter(maxFragmentSize: maxSize, initialSequenceID: 39)
        let planned = splitter.plan(length: datagram.count)
        let plan = try #require(planned)
        #expect(plan.count == 2 && plan.pieceSize == 716 && plan.sequenceID == 40)

        var out = [UInt8](repeating: 0, count: 800)
        for (i, p) in [first, second].enumerated() {
            let n =
                datagram.withUnsafeBytes { d in
                    out.withUnsafeMutableBytes { plan.write(piece: i, of: d, into: $0, at: 0) }
                } ?? 0
            #expect(Array(out[..<n]) == p.decryptedPayload, "piece \(i)")
            #expect(hexString(out[..<4]) == p.fragmentHeaderHex)
        }
        // A piece that does not fit, or does not exist, is a drop rather than a trap.
        let tooSmall = datagram.withUnsafeBytes { d in
            out.withUnsafeMutableBytes { plan.write(piece: 0, of: d, into: $0, at: 100) }
        }
        #expect(tooSmall == nil)
        let missing = datagram.withUnsafeBytes { d in
            out.withUnsafeMutableBytes { plan.write(piece: 2, of: d, into: $0, at: 0) }
        }
        #expect(missing == nil)
        // Small packets travel whole with a zero header.
        let wholePlan = splitter.plan(length: 48)
        let whole = try #require(wholePlan)
        #expect(whole.isWhole && whole.header(piece: 0) == .whole)
        #expect(splitter.plan(length: 1500)?.sequenceID == 41)
    }

    @Test func pieceSizesAreMultiplesOfFourAndAtMost32() {
        var s = FragmentSplitter(maxFragmentSize: 100, initialSequenceID: 255)
        for length in 1...3300 {
            guard let plan = s.plan(length: length) else {
                #expect(length > 32 * 100)
                continue
            }
            if plan.isWhole {
                #expect(length <= 100)
                continue
            }
            #expect(plan.pieceSize % 4 == 0 && plan.pieceSize <= 100 && plan.count <= 32)
            #expect((0..<plan.count).map { plan.range(piece: $0).count }.reduce(0, +) == length)
        }
        #expect(s.plan(length: 3201) == nil)
    }

    func deliver(_ r: FragmentReassembler, _ payload: [UInt8], now: Int64 = 0) -> [UInt8]? {
        var buf = payload
        return buf.withUnsafeMutableBytes { b in
            switch r.receive(b, offset: 0, length: payload.count, now: now) {
            case .packet(let o, let l): Array(b[o..<o + l])
            case .reassembled(let d): Array(d)
            case .pending, .drop: nil
            }
        }
    }

    @Test func reassemblesCapturedDatagramsInAnyOrder() throws {
        let packets = try Vectors.packets(Self.set)
        for sender in ["A", "B"] {
            let pieces = packets.filter { $0.sender == sender && $0.fragmentHeaderHex != "00000000" }
            #expect(pieces.count == 4)
            for pair in stride(from: 0, to: pieces.count, by: 2) {
                let expected = try #require(pieces[pair].innerPacket) + (try #require(pieces[pair + 1].innerPacket))
                for order in [[0, 1], [1, 0]] {
                    let r = FragmentReassembler(capacity: 1600)
                    #expect(deliver(r, pieces[pair + order[0]].decryptedPayload) == nil)
                    #expect(deliver(r, pieces[pair + order[1]].decryptedPayload) == expected)
                }
            }
        }
        let r = FragmentReassembler(capacity: 1600)
        for p in packets where p.fragmentHeaderHex == "00000000" {
            #expect(deliver(r, p.decryptedPayload) == Array(p.decryptedPayload.dropFirst(4)))
        }
    }

    @Test func partialDatagramsExpireAfterTenSeconds() throws {
        let packets = try Vectors.packets(Self.set)
        let first = try #require(packets.first { $0.frame == 4 }).decryptedPayload
        let second = try #require(packets.first { $0.frame == 5 }).decryptedPayload
        let r = FragmentReassembler(capacity: 1600)
        #expect(deliver(r, first, now: 100) == nil)
        #expect(deliver(r, second, now: 110) == nil)  // first expired; second waits alone
        #expect(deliver(r, first, now: 119) != nil)
        #expect(deliver(r, first, now: 200) == nil)
        r.expire(now: 210)
        #expect(deliver(r, second, now: 210) == nil)
    }

    @Test func dropsBadFragments() {
        let r = FragmentReassembler(capacity: 100)
        var buf: [UInt8] = [0, 0, 0]
        buf.withUnsafeMutableBytes { b in
            guard case .drop(.headerNotFound) = r.receive(b, offset: 0, length: 3, now: 0) else {
                Issue.record("short")
                return
            }
        }
        var odd: [UInt8] = [0, 0, 0, 0x01, 1, 2, 3]  // not-last piece of 3 bytes
        odd.withUnsafeMutableBytes { b in
            guard case .drop(.badFragmentSize) = r.receive(b, offset: 0, length: 7, now: 0) else {
                Issue.record("size")
                return
            }
        }
        var far = [UInt8](repeating: 7, count: 4 + 64)
        far.replaceSubrange(0..<4, with: [0, 0, 0x7c, 0x01])  // index 31 * 64 bytes > capacity
        far.withUnsafeMutableBytes { b in
            guard case .drop(.bufferOverflow) = r.receive(b, offset: 0, length: 68, now: 0) else {
                Issue.record("overflow")
                return
            }
        }
    }

    @Test func survivesRandomInput() {
        let r = FragmentReassembler(capacity: 1600)
        var rng = SeededGenerator(seed: 0xf4a9)
        for i in 0..<5000 {
            var payload = rng.bytes(Int.random(in: 0...80, using: &rng))
            if payload.count >= 4 && i % 2 == 0 {
                payload[0] = 0
                payload[1] &= 0x01
            }  // plausible headers
            _ = deliver(r, payload, now: Int64(i / 100))
        }
    }
}
