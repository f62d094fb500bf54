import Glibc
import SwvpnLinux
import SwvpnProtocol
import Testing

/// The real `TCPLink` on a stream socketpair: the test plays the peer, sealing records itself and
/// writing them in pieces.
@Suite(.serialized)
struct StreamDataPlaneTests {
    let settings = testSettings(tcp: true)

    /// B: a data plane on a TCPLink; returns it, the test's end of the stream, and the test's sealer.
    func connected() throws -> (Side<TCPLink>, Int32, OutboundPath, InboundPath) {
        var fds: [Int32] = [-1, -1]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0)
        let link = try TCPLink(maxRecordLength: settings.maxWirePacket, stallMilliseconds: 60_000)
        link.attach(fd: OwnedFD(fds[0]), peer: addressA)
        let b = try Side(link: link, settings: settings, direction: .inverse, peer: addressA)
        let peer = try Side(
            link: SocketPairLink(fd: -1, source: addressB), settings: settings, direction: .normal,
            peer: nil)
        b.plane.start()
        return (b, fds[1], peer.outbound, try peerInbound())
    }

    func peerInbound() throws -> InboundPath {
        let key = try #require(StaticKey(bytes: (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }))
        return InboundPath(
            settings: settings,
            opener: try DataChannelOpener(
                key: key, direction: .normal,
                layout: settings.layout, replay: .init()))
    }

    /// `packet` sealed by the peer, as a TCP record (length prefix included).
    func record(_ packet: [UInt8], _ sealer: OutboundPath) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: settings.bufferSize)
        let s = settings
        return buffer.withUnsafeMutableBytes { raw -> [UInt8] in
            raw.baseAddress!.advanced(by: s.payloadOffset).copyMemory(from: packet, byteCount: packet.count)
            guard
                case .sealed(let start, let length) = sealer.sealTunnelPacket(
                    raw.baseAddress!, length: packet.count, now: 1_800_000_000)
            else { return [] }
            let (o, l) = TCPFraming.writeLengthPrefix(raw, offset: start, length: length)
            return Array(raw[o..<o + l])
        }
    }

    @Test func recordsSplitAtEveryByteBoundaryArriveWhole() throws {
        let (b, stream, sealer, _) = try connected()
        defer {
            b.plane.stop()
            close(stream)
        }
        let packets = [innerPacket(1, size: 60), innerPacket(2, size: 300), innerPacket(3, size: 84)]
        let probe = packets.flatMap { record($0, sealer) }
        for cut in 0...probe.count {
            // Fresh packet-ids per round: seal again.
            let bytes = packets.flatMap { record($0, sealer) }
            writeAll(stream, Array(bytes[..<cut]))
            usleep(200)  // let the RX loop see the first piece alone
            writeAll(stream, Array(bytes[cut...]))
            for (i, packet) in packets.enumerated() {
                #expect(b.device.delivered() == packet, "cut at \(cut), packet \(i)")
            }
        }
        #expect(b.plane.counters.snapshot().drops == DropCounts())
    }

    @Test func recordsTravelTheOtherWayWithLengthPrefixes() throws {
        let (b, stream, _, inbound) = try connected()
        defer {
            b.plane.stop()
            close(stream)
        }
        var reader = TCPRecordReader(maxRecordLength: settings.maxWirePacket)
        var pending: [UInt8] = []
        for i in 0..<10 {
            b.device.inject(innerPacket(i, size: 100 + i))
            var got: [UInt8]?
            while got == nil {
                pending += try #require(readOne(stream))
                let r = pending.withUnsafeBytes { reader.next(in: $0) }
                guard case .record(let length, let consumed) = r else { continue }
                var wire = Array(pending[consumed - length..<consumed])
                pending.removeFirst(consumed)
                got = wire.withUnsafeMutableBytes { raw -> [UInt8]? in
                    guard case .tunnelPacket(let ip) = inbound.open(raw.baseAddress!, length: raw.count, now: 1) else {
                        return nil
                    }
                    return Array(ip)
                }
            }
            #expect(got == innerPacket(i, size: 100 + i))
        }
    }

    @Test func garbageRecordEndsTheStream() throws {
        let (b, stream, sealer, _) = try connected()
        defer {
            b.plane.stop()
            close(stream)
        }
        writeAll(stream, record(innerPacket(1), sealer))
        #expect(b.device.delivered() == innerPacket(1))
        writeAll(stream, [0, 40] + [UInt8](repeating: 0xA5, count: 40) + record(innerPacket(2), sealer))
        #expect(b.waitForEvent { if case .streamDecryptFailed = $0 { true } else { false } })
        #expect(b.device.delivered(timeout: 300) == nil, "nothing after the garbage is read")
        #expect(b.plane.counters.dropped(.badHMAC) == 1)
    }

    @Test func zeroLengthRecordBreaksTheConnection() throws {
        let (b, stream, _, _) = try connected()
        defer {
            b.plane.stop()
            close(stream)
        }
        writeAll(stream, [0, 0, 1, 2, 3])
        #expect(
            b.waitForEvent {
                if case .linkFailed(let why) = $0 {
                    why.hasPrefix("Bad encapsulated packet length from peer (0)")
                } else {
                    false
                }
            })
    }
}
