import SwvpnProtocol
import SwvpnTestSupport
import Testing

struct CompressionFramingTests {
    /// Frames `packet` with headroom/tailroom and returns the framed bytes.
    func framed(_ packet: [UInt8], _ framing: CompressionFraming) -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: packet.count + 8)
        buf.replaceSubrange(4..<4 + packet.count, with: packet)
        return buf.withUnsafeMutableBytes { b in
            guard let (o, l) = framing.frame(b, offset: 4, length: packet.count) else { return [] }
            return Array(b[o..<o + l])
        }
    }

    func unframed(_ payload: [UInt8], _ framing: CompressionFraming) -> Result<[UInt8], CompressionDropReason> {
        var buf = payload
        return buf.withUnsafeMutableBytes { b in
            switch framing.unframe(b, offset: 0, length: payload.count) {
            case .packet(let o, let l): .success(Array(b[o..<o + l]))
            case .drop(let r): .failure(r)
            case .compressed: .failure(.malformedCompressedData)  // the tests below look at these directly
            }
        }
    }

    @Test func framingWithoutRoomIsADropNotATrap() {
        // Release builds keep preconditions; a missing headroom/tailroom must still not crash.
        var buf: [UInt8] = [0x50, 1, 2]
        buf.withUnsafeMutableBytes { b in
            #expect(CompressionFraming.lzoPrefix.frame(b, offset: 0, length: 3) == nil)
            #expect(CompressionFraming.stubSwap.frame(b, offset: 0, length: 3) == nil)
            #expect(CompressionFraming.stubV2.frame(b, offset: 0, length: 3) == nil)
        }
    }

    @Test(arguments: [
        ("aes-128-cbc-sha512-complzo-no-inline-udp", CompressionFraming.lzoPrefix),
        ("aes-256-cbc-sha256-compress-stub-occ-mismatch-udp", CompressionFraming.stubSwap),
        ("aes-256-cbc-sha256-keydir-udp", CompressionFraming.none),
    ])
    func matchesCapturedFraming(set: String, framing: CompressionFraming) throws {
        var checked = 0
        for p in try Vectors.packets(set) {
            // OCC messages carry no inner IP packet; undo framing by the table's rule.
            let d = p.decryptedPayload
            let inner: [UInt8] =
                p.innerPacket
                ?? {
                    switch framing {
                    case .lzoPrefix: return Array(d.dropFirst())
                    case .stubSwap: return [d[d.count - 1]] + Array(d.dropFirst().dropLast())
                    default: return d
                    }
                }()
            #expect(framed(inner, framing) == p.decryptedPayload, "frame \(p.frame)")
            #expect(try unframed(p.decryptedPayload, framing).get() == inner, "frame \(p.frame)")
            checked += 1
        }
        #expect(checked >= 14)
    }

    @Test func stubV2EscapesOnlyLeading0x50() throws {
        #expect(framed([0x45, 1, 2], .stubV2) == [0x45, 1, 2])
        #expect(framed([0x50, 1, 2], .stubV2) == [0x50, 0x00, 0x50, 1, 2])
        #expect(try unframed([0x50, 0x00, 0x50, 1, 2], .stubV2).get() == [0x50, 1, 2])
        #expect(try unframed([0x60, 0x00], .stubV2).get() == [0x60, 0x00])
        #expect(unframedCompressed([0x50, 0x01, 9], .stubV2) == .compressed(.lz4, offset: 2, length: 1))
        #expect(unframed([0x50, 0x07], .stubV2) == .failure(.badStubV2HeaderByte(7)))
        #expect(unframed([0x50], .stubV2) == .failure(.truncatedV2Header))
    }

    @Test func framingMismatchDropsWithOpenVPNMessage() {
        let lzoFramed = framed([0x45, 0, 1], .lzoPrefix)
        let result = unframed(lzoFramed, .stubSwap)
        #expect(result == .failure(.badStubSwapHeaderByte(250)))
        if case .failure(let r) = result {
            #expect(r.description == "Bad compression stub (swap) decompression header byte: 250")
        }
        #expect(unframed(framed([0x45, 0], .stubSwap), .lzoPrefix) == .failure(.badLZOHeaderByte(251)))
    }

    @Test func compressedPacketsAreDroppedNotDecompressed() {
        #expect(unframedCompressed([0x66, 1, 2, 3], .lzoPrefix) == .compressed(.lzo, offset: 1, length: 3))
        // LZ4 with swap framing: the last byte goes back to the front.
        var swapped: [UInt8] = [0x69, 1, 2, 3]
        let r = swapped.withUnsafeMutableBytes { CompressionFraming.stubSwap.unframe($0, offset: 0, length: 4) }
        #expect(r == .compressed(.lz4, offset: 0, length: 3) && swapped.prefix(3) == [3, 1, 2])
        #expect(CompressionDropReason.lzoCompressedUnsupported.description.contains("allow-compression no"))
    }

    @Test func emptyPayloadStaysEmpty() throws {
        for f: CompressionFraming in [.none, .lzoPrefix, .stubSwap, .stubV2] {
            #expect(framed([], f) == [])
            #expect(try unframed([], f).get() == [])
        }
        #expect(try unframed([0xfb], .stubSwap).get() == [])
    }

    @Test func unframeSurvivesRandomInput() {
        var rng = SeededGenerator(seed: 0xc0)
        for _ in 0..<3000 {
            let payload = rng.bytes(Int.random(in: 0...20, using: &rng))
            for f: CompressionFraming in [.none, .lzoPrefix, .stubSwap, .stubV2] {
                if case .success(let inner) = unframed(payload, f), !inner.isEmpty {
                    // Whatever unframes must frame back to the same bytes.
                    #expect(framed(inner, f) == payload)
                }
            }
        }
    }
}

func unframedCompressed(_ bytes: [UInt8], _ framing: CompressionFraming) -> CompressionUnframeResult {
    var copy = bytes
    return copy.withUnsafeMutableBytes { framing.unframe($0, offset: 0, length: $0.count) }
}
