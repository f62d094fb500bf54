import SwvpnProtocol
import SwvpnTestSupport
import Testing

/// What an inbound path produced, copied out of the receive buffer.
enum Received: Equatable, CustomStringConvertible {
    case tunnel([UInt8])
    case ping
    case occ(OCCMessage)
    case pending
    case dropped(InboundDrop)

    var description: String {
        switch self {
        case .tunnel(let p): "tunnel(\(p.count) bytes)"
        case .ping: "ping"
        case .occ(let m): "occ(\(m))"
        case .pending: "pending"
        case .dropped(let why): "dropped(\(why))"
        }
    }
}

/// What an outbound path produced: the wire packets (several with `--fragment`), or why it refused.
enum Sent: Equatable {
    case wires([[UInt8]])
    case dropped(SealFailure)

    struct Refused: Error { let reason: SealFailure }

    func get() throws -> [[UInt8]] {
        switch self {
        case .wires(let w): return w
        case .dropped(let why): throw Refused(reason: why)
        }
    }
}

/// Opens `wire` through `path` in a receive buffer of at least `maxWirePacket` bytes.
func openThrough(_ path: InboundPath, _ wire: [UInt8], now: Int64 = 0) -> (Received, authenticated: Bool) {
    var buffer = wire + [UInt8](repeating: 0, count: max(0, path.settings.maxWirePacket - wire.count) + 1)
    return buffer.withUnsafeMutableBytes { raw in
        let result = path.open(raw.baseAddress!, length: wire.count, now: now)
        let received: Received
        switch result {
        case .tunnelPacket(let p): received = .tunnel(Array(p))
        case .ping: received = .ping
        case .occ(let m): received = .occ(m)
        case .pending: received = .pending
        case .dropped(let why): received = .dropped(why)
        }
        return (received, result.isAuthenticated)
    }
}

/// Peer A's outbound path wired to peer B's inbound path in memory (A sends with key direction 0,
/// B receives with 1), plus the buffer handling a packet loop would do.
struct PathPair {
    let outbound: OutboundPath
    let inbound: InboundPath
    var now: UInt32 = 1_795_966_608

    init(_ sender: PacketPathSettings, receiver: PacketPathSettings? = nil) throws {
        let key = try VectorFixtures.key()
        let receiver = receiver ?? sender
        outbound = OutboundPath(
            settings: sender, sealer: try DataChannelSealer(key: key, direction: .normal, layout: sender.layout),
            fragmentSequenceSeed: 39)
        inbound = InboundPath(
            settings: receiver,
            opener: try DataChannelOpener(key: key, direction: .inverse, layout: receiver.layout, replay: .init()))
    }

    /// Reads `packet` into a fresh buffer at `payloadOffset` (as a TUN read would) and seals it;
    /// returns the wire packets, or why the path dropped it.
    func send(_ packet: [UInt8]) -> Sent {
        let s = outbound.settings
        var buffer = [UInt8](repeating: 0xEE, count: max(s.bufferSize, s.payloadOffset + packet.count))
        buffer.replaceSubrange(s.payloadOffset..<s.payloadOffset + packet.count, with: packet)
        let slots = TestSlots(stride: s.bufferSize)
        let result = buffer.withUnsafeMutableBytes {
            outbound.sealTunnelPacket($0.baseAddress!, length: packet.count, now: now, fragments: slots.slots)
        }
        return collect(result, buffer, slots)
    }

    func sendPing() -> Sent {
        var buffer = [UInt8](repeating: 0xEE, count: outbound.settings.bufferSize)
        let slots = TestSlots(stride: outbound.settings.bufferSize)
        let result = buffer.withUnsafeMutableBytes {
            outbound.sealPing($0.baseAddress!, now: now, fragments: slots.slots)
        }
        return collect(result, buffer, slots)
    }

    func sendOCC(_ message: OCCMessage) -> Sent {
        var buffer = [UInt8](repeating: 0xEE, count: outbound.settings.bufferSize)
        let slots = TestSlots(stride: outbound.settings.bufferSize)
        let result = buffer.withUnsafeMutableBytes {
            outbound.sealOCC(message, $0.baseAddress!, now: now, fragments: slots.slots)
        }
        return collect(result, buffer, slots)
    }

    private func collect(_ result: OutboundResult, _ buffer: [UInt8], _ slots: TestSlots) -> Sent {
        let s = outbound.settings
        switch result {
        case .dropped(let why):
            return .dropped(why)
        case .sealed(let start, let length):
            #expect(start >= s.linkHeadroom, "no room left for the TCP length prefix")
            #expect(length <= s.maxWirePacket)
            return .wires([Array(buffer[start..<start + length])])
        case .fragmented(let count):
            var pieces: [[UInt8]] = []
            for i in 0..<count {
                let (start, length) = slots.pieces[i]
                #expect(start >= s.linkHeadroom)
                pieces.append(Array(UnsafeRawBufferPointer(start: slots.slotBase(i) + start, count: length)))
            }
            return .wires(pieces)
        }
    }

    func receive(_ wire: [UInt8], now: Int64 = 0) -> (Received, authenticated: Bool) {
        openThrough(inbound, wire, now: now)
    }

    /// Sends and receives in order; returns what came out of the last wire packet.
    func roundTrip(_ sent: Sent) -> [Received] {
        guard case .wires(let wires) = sent else {
            Issue.record("send failed: \(sent)")
            return []
        }
        return wires.map { receive($0).0 }
    }
}

/// The settings the tests use: the seed cipher suite, optionally with `fragment 1000`.
func testSettings(
    compression: CompressionFraming = .none, fragment: Bool = false, mssLimit: Int? = nil,
    layout: FrameLayout = FrameLayout(cipher: .aes256CBC, digest: .sha256), tcp: Bool = false
) -> PacketPathSettings {
    let transport: LinkTransport = tcp ? .tcp : .udp
    return PacketPathSettings(
        layout: layout, compression: compression, mssLimit: mssLimit,
        maxFragmentSize: fragment
            ? FragmentSplitter.maxFragmentSize(fragment: 1000, layout: layout, transport: transport) : nil,
        tunMTU: 1500, tcpFraming: tcp)
}

@Suite struct PacketPathTests {
    static let framings: [CompressionFraming] = [.none, .lzoPrefix, .stubSwap, .stubV2]

    // MARK: Two paths in memory

    @Test(arguments: framings, [false, true])
    func deliversEveryTunnelPacketUnchanged(compression: CompressionFraming, fragment: Bool) throws {
        let pair = try PathPair(testSettings(compression: compression, fragment: fragment))
        let s = pair.outbound.settings
        var rng = SeededGenerator(seed: 0x5EED)
        let sizes = [1, 2, 15, 16, 17, 20, 60, 100, 576, 929, 930, 931, 932, 1000, 1400, 1499, 1500, s.maxTunnelPacket]
        // First bytes that mean something to a framing (v2 escape, LZO/swap markers) or to IP.
        let firstBytes: [UInt8] = [0x45, 0x60, 0x50, 0xFA, 0xFB, 0x66, 0x69, 0x00]
        for (i, size) in sizes.enumerated() {
            var packet = rng.bytes(size)
            packet[0] = firstBytes[i % firstBytes.count]
            let sent = pair.send(packet)
            guard case .wires(let wires) = sent else {
                Issue.record("\(size) bytes: \(sent)")
                continue
            }
            let framed = size + (compression.isV1 ? 1 : 0) + (compression == .stubV2 && packet[0] == 0x50 ? 2 : 0)
            let expectedPieces = fragment && framed > s.maxFragmentSize! ? 2 : 1
            #expect(wires.count == expectedPieces, "\(size) bytes")
            let received = wires.map { pair.receive($0) }
            #expect(received.dropLast().allSatisfy { $0.0 == .pending && $0.authenticated }, "\(size) bytes")
            #expect(received.last?.0 == .tunnel(packet), "\(size) bytes")
            #expect(received.last?.authenticated == true)
        }
    }

    @Test(arguments: framings)
    func fragmentsA1400BytePacketIntoTwoPiecesThatReassembleInEitherOrder(compression: CompressionFraming) throws {
        let pair = try PathPair(testSettings(compression: compression, fragment: true))
        var rng = SeededGenerator(seed: 1400)
        for order in [[0, 1], [1, 0]] {
            var packet = rng.bytes(1400)
            packet[0] = 0x45
            let wires = try pair.send(packet).get()
            try #require(wires.count == 2)
            // Every piece is a complete encrypted packet well under the 1000-byte fragment size.
            #expect(wires.allSatisfy { $0.count <= 1000 })
            #expect(pair.receive(wires[order[0]]).0 == .pending, "order \(order)")
            #expect(pair.receive(wires[order[1]]).0 == .tunnel(packet), "order \(order)")
        }
    }

    @Test func packetThatFitsCarriesAWholeFragmentHeader() throws {
        let settings = testSettings(fragment: true)
        let pair = try PathPair(settings)
        let wires = try pair.send([0x45] + [UInt8](repeating: 7, count: 59)).get()
        try #require(wires.count == 1)
        // Open with a bare opener: the payload must start with the 00000000 whole-packet header.
        let opener = try DataChannelOpener(
            key: VectorFixtures.key(), direction: .inverse, layout: settings.layout, replay: nil)
        let (_, payload) = openCopy(opener, wires[0])
        #expect(payload.map { Array($0.prefix(5)) } == [0, 0, 0, 0, 0x45])
    }

    @Test(arguments: framings, [false, true])
    func pingsAndOCCMessagesAreClassifiedNeverDelivered(compression: CompressionFraming, fragment: Bool) throws {
        let pair = try PathPair(testSettings(compression: compression, fragment: fragment))
        #expect(pair.roundTrip(pair.sendPing()) == [.ping])
        let messages: [OCCMessage] = [
            .request,
            .reply(
                "V4,dev-type tun,link-mtu 1572,tun-mtu 1500,proto UDPv4,ifconfig 10.8.0.2 10.8.0.1,keydir 0,cipher AES-256-CBC,auth SHA256,keysize 256,secret"
            ),
            .mtuLoadRequest(size: 1400), .mtuLoad(length: 1400), .mtuRequest,
            .mtuReply(largestReceived: 1500, largestSent: 1400), .exit,
        ]
        for message in messages {
            let out = pair.roundTrip(pair.sendOCC(message))
            #expect(out.last == .occ(message), "\(message)")
            #expect(out.dropLast().allSatisfy { $0 == .pending })
        }
        // Magic without an opcode is still swallowed, never delivered.
        let short = try #require(
            sealCopy(pair.outbound.sealer, framedPayload(WireFormat.occMagic, pair), now: pair.now))
        #expect(pair.receive(short).0 == .occ(.unrecognized(opcode: nil)))
    }

    // MARK: MSS clamp

    /// The captured SYN of the keydir-udp set (MSS already clamped to 1359 by openvpn) with the
    /// kernel's original MSS 1460 restored.
    static func capturedSYN() throws -> (original: [UInt8], clamped: [UInt8]) {
        let syn = try #require(
            try Vectors.packets("aes-256-cbc-sha256-keydir-udp").first { $0.frame == 18 }?.innerPacket)
        return (MSSClampTests.withMSS(syn, mssOffset: 42, mss: 1460), syn)
    }

    @Test(arguments: framings)
    func clampsMSSOfATCPSynOnTheWayOut(compression: CompressionFraming) throws {
        let (original, clamped) = try Self.capturedSYN()
        let pair = try PathPair(
            testSettings(compression: compression, mssLimit: 1359), receiver: testSettings(compression: compression))
        // Byte for byte what openvpn put on the wire.
        #expect(pair.roundTrip(pair.send(original)) == [.tunnel(clamped)])
        let ipv6 = MSSClampTests.ipv6SYN(mss: 1440)
        guard case .tunnel(let out)? = pair.roundTrip(pair.send(ipv6)).first else {
            Issue.record("IPv6 SYN not delivered")
            return
        }
        #expect(Int(out[62]) << 8 | Int(out[63]) == 1339)
        #expect(MSSClampTests.checksumOK(out))
    }

    @Test(arguments: framings)
    func clampsMSSOfATCPSynOnTheWayIn(compression: CompressionFraming) throws {
        let (original, clamped) = try Self.capturedSYN()
        let pair = try PathPair(
            testSettings(compression: compression), receiver: testSettings(compression: compression, mssLimit: 1359))
        #expect(pair.roundTrip(pair.send(original)) == [.tunnel(clamped)])
    }

    @Test func leavesMSSAloneWhenClampingIsOff() throws {
        let (original, _) = try Self.capturedSYN()
        let pair = try PathPair(testSettings(mssLimit: nil))
        #expect(pair.roundTrip(pair.send(original)) == [.tunnel(original)])
    }

    // MARK: Drops

    @Test(arguments: [false, true])
    func dropsEmptyAndOversizedTunnelPackets(fragment: Bool) throws {
        let pair = try PathPair(testSettings(fragment: fragment))
        let s = pair.outbound.settings
        #expect(pair.send([]) == .dropped(.noRoom))
        #expect(pair.send([UInt8](repeating: 0x45, count: s.maxTunnelPacket + 1)) == .dropped(.noRoom))
        #expect(try pair.send([UInt8](repeating: 0x45, count: s.maxTunnelPacket)).get().count == (fragment ? 2 : 1))
    }

    @Test func dropsEmptyAndOversizedWirePackets() throws {
        let pair = try PathPair(testSettings())
        let max = pair.inbound.settings.maxWirePacket
        #expect(pair.receive([]) == (.dropped(.crypto(.empty)), false))
        #expect(pair.receive([UInt8](repeating: 1, count: max + 1)) == (.dropped(.crypto(.tooLong)), false))
        // An authenticated packet with nothing in it is dropped, but it did come from the peer.
        let empty = try #require(sealCopy(pair.outbound.sealer, [], now: pair.now))
        #expect(pair.receive(empty) == (.dropped(.empty), true))
    }

    @Test func onlyCryptoDropsAreUnauthenticated() throws {
        // Crypto: bad HMAC, truncated, replayed, wrong direction.
        let pair = try PathPair(testSettings(compression: .lzoPrefix))
        let wire = try pair.send([0x45] + [UInt8](repeating: 1, count: 40)).get()[0]
        var tampered = wire
        tampered[tampered.count - 1] ^= 1
        #expect(pair.receive(tampered) == (.dropped(.crypto(.badHMAC)), false))
        #expect(pair.receive(Array(wire.prefix(10))) == (.dropped(.crypto(.tooShort)), false))
        #expect(pair.receive(wire).authenticated)
        #expect(pair.receive(wire) == (.dropped(.crypto(.replayed)), false))
        let key = try VectorFixtures.key()
        let wrongWay = try DataChannelSealer(key: key, direction: .inverse, layout: pair.outbound.settings.layout)
        let reflected = try #require(sealCopy(wrongWay, [0xFA, 0x45], now: pair.now))
        #expect(pair.receive(reflected) == (.dropped(.crypto(.badHMAC)), false))

        // Authenticated but unusable: compression and fragment errors still prove the peer.
        let lzo = try #require(sealCopy(pair.outbound.sealer, [0x66, 1, 2, 3], now: pair.now))
        #expect(pair.receive(lzo) == (.dropped(.compression(.lzoCompressedUnsupported)), true))
        let badByte = try #require(sealCopy(pair.outbound.sealer, [0x01, 0x45], now: pair.now))
        #expect(pair.receive(badByte) == (.dropped(.compression(.badLZOHeaderByte(1))), true))

        let fragmenting = try PathPair(testSettings(fragment: true))
        let testType = try #require(sealCopy(fragmenting.outbound.sealer, [0, 0, 0, 3, 0x45], now: pair.now))
        #expect(fragmenting.receive(testType) == (.dropped(.fragment(.testTypeNotImplemented)), true))
        let noHeader = try #require(sealCopy(fragmenting.outbound.sealer, [0, 0], now: pair.now))
        #expect(fragmenting.receive(noHeader) == (.dropped(.fragment(.headerNotFound)), true))

        // Pings, OCC and pending fragments are authenticated traffic.
        #expect(pair.receive(try pair.sendPing().get()[0]) == (.ping, true))
        #expect(pair.receive(try pair.sendOCC(.exit).get()[0]) == (.occ(.exit), true))
        let pieces = try fragmenting.send([UInt8](repeating: 0x45, count: 1400)).get()
        #expect(fragmenting.receive(pieces[0]) == (.pending, true))
    }

    @Test func tcpPathLeavesRoomForTheRecordLength() throws {
        let pair = try PathPair(testSettings(tcp: true))
        #expect(pair.outbound.settings.linkHeadroom == 2)
        let packet = [0x45] + [UInt8](repeating: 9, count: 99)
        // `collect` checks every sealed start against linkHeadroom.
        #expect(pair.roundTrip(pair.send(packet)) == [.tunnel(packet)])
    }

    @Test func resetSessionRestartsPacketIDsTheReceiverStillAccepts() throws {
        var pair = try PathPair(testSettings())
        let packet = [0x45] + [UInt8](repeating: 3, count: 30)
        #expect(pair.roundTrip(pair.send(packet)) == [.tunnel(packet)])
        pair.outbound.resetSession()
        pair.now += 5  // a restarted peer has a later session time
        #expect(pair.roundTrip(pair.send(packet)) == [.tunnel(packet)])
        // The receiver restarting forgets the window: an old packet is accepted again.
        let wire = try pair.send(packet).get()[0]
        #expect(pair.receive(wire).0 == .tunnel(packet))
        pair.inbound.resetSession()
        #expect(pair.receive(wire).0 == .tunnel(packet))
    }

    /// SIGUSR1, OCC_EXIT or ping-restart can come in the same second the session started: the restarted
    /// ids must still carry a newer time, or the peer (which did not restart) drops them as replays.
    @Test func resetSessionInTheSameSecondStillGetsANewerSessionTime() throws {
        var pair = try PathPair(testSettings())
        let packet = [0x45] + [UInt8](repeating: 4, count: 30)
        for _ in 0..<3 {
            #expect(pair.roundTrip(pair.send(packet)) == [.tunnel(packet)])
            pair.outbound.resetSession()
        }
        #expect(pair.roundTrip(pair.send(packet)) == [.tunnel(packet)])
    }

    // MARK: Real vectors

    /// The receiver's path settings, built from its options the way the config layer does.
    static func receiverSettings(_ peer: OCCOptions) -> PacketPathSettings {
        let layout = FrameLayout(cipher: peer.cipher, digest: peer.digest, replayProtection: !peer.noReplay)
        let transport: LinkTransport = peer.proto.isTCP ? .tcp : .udp
        let fragment = peer.fragment ? 1000 : nil
        return PacketPathSettings(
            layout: layout, compression: peer.compression,
            mssLimit: MSSClamp.limit(
                layout: layout, transport: transport, compression: peer.compression, fragment: fragment,
                tunMTU: peer.tunMTU),
            maxFragmentSize: fragment.map {
                FragmentSplitter.maxFragmentSize(fragment: $0, layout: layout, transport: transport)
            },
            tunMTU: peer.tunMTU, tcpFraming: peer.proto.isTCP)
    }

    @Test(arguments: OCCTests.vectorSets)
    func everyCapturedPacketComesOutOfTheReceiversInboundPath(set: OCCTests.VectorSet) throws {
        let key = try VectorFixtures.key()
        let wires = try #require(try VectorFixtures.sets().first { $0.name == set.directory })
        let packets = try Vectors.packets(set.directory)
        try #require(wires.packets.count == packets.count)
        // One inbound path per receiver, fed in capture order.
        var paths: [String: InboundPath] = [:]
        for (sender, receiver) in [("A", set.peerB), ("B", set.peerA)] {
            let settings = Self.receiverSettings(receiver)
            paths[sender] = InboundPath(
                settings: settings,
                opener: try DataChannelOpener(
                    key: key, direction: receiver.keyDirection, layout: settings.layout, replay: .init()))
        }
        var partial: [String: [UInt8]] = [:]
        for (wire, packet) in zip(wires.packets, packets) {
            let context = Comment(rawValue: "\(set.directory) frame \(packet.frame)")
            try #require(wire.pcapFrame == packet.frame)
            let expected: Received
            switch packet.kind {
            case let k where k.hasPrefix("OPENVPN_PING"): expected = .ping
            case "OCC_REQUEST": expected = .occ(.request)
            case "OCC_REPLY": expected = .occ(.reply(try need(packet.occOptionsString, "OCC string")))
            case "OCC_EXIT": expected = .occ(.exit)
            default:
                let inner = try need(packet.innerPacket, "inner packet of \(packet.kind)")
                let fragmentType = packet.fragmentHeaderHex.map { hexBytes($0)[3] & 3 } ?? 0
                if fragmentType == 1 {
                    partial[packet.sender, default: []] += inner
                    expected = .pending
                } else {
                    expected = .tunnel((partial.removeValue(forKey: packet.sender) ?? []) + inner)
                }
            }
            let path = try #require(paths[packet.sender])
            let (received, authenticated) = openThrough(path, wire.wire)
            #expect(received == expected, context)
            #expect(authenticated, context)
        }
        #expect(partial.isEmpty, "fragments left over")
    }
}

/// `payload` with the outbound path's compression framing (for hand-made payloads sealed directly).
private func framedPayload(_ payload: [UInt8], _ pair: PathPair) -> [UInt8] {
    let compression = pair.outbound.settings.compression
    var buffer = [0, 0] + payload + [0]
    let (o, l) = buffer.withUnsafeMutableBytes { compression.frame($0, offset: 2, length: payload.count) } ?? (2, 0)
    let framed = Array(buffer[o..<o + l])
    return pair.outbound.settings.maxFragmentSize != nil ? [0, 0, 0, 0] + framed : framed
}

/// Fragment slots on one allocation, filled with 0xDD so stray writes show.
final class TestSlots {
    let stride: Int
    let memory: UnsafeMutableRawPointer
    let starts = UnsafeMutablePointer<Int>.allocate(capacity: FragmentHeader.maxPieces)
    let lengths = UnsafeMutablePointer<Int>.allocate(capacity: FragmentHeader.maxPieces)

    init(stride: Int) {
        self.stride = stride
        memory = .allocate(byteCount: stride * FragmentHeader.maxPieces, alignment: 16)
        memory.initializeMemory(as: UInt8.self, repeating: 0xDD, count: stride * FragmentHeader.maxPieces)
        starts.initialize(repeating: 0, count: FragmentHeader.maxPieces)
        lengths.initialize(repeating: 0, count: FragmentHeader.maxPieces)
    }

    deinit {
        memory.deallocate()
        starts.deallocate()
        lengths.deallocate()
    }

    var slots: PacketSlots {
        PacketSlots(base: memory, stride: stride, capacity: FragmentHeader.maxPieces, starts: starts, lengths: lengths)
    }
    var pieces: [(Int, Int)] { (0..<FragmentHeader.maxPieces).map { (starts[$0], lengths[$0]) } }
    func slotBase(_ index: Int) -> UnsafeMutableRawPointer { memory + index * stride }
}
