import SwvpnProtocol
import SwvpnTestSupport
import Testing

private let allCiphers: [CipherSpec] = [.none, .bfCBC, .aes128CBC, .aes192CBC, .aes256CBC]
private let allDigests: [DigestSpec] = [.none, .sha1, .sha256, .sha384, .sha512]
private let suites: [FrameLayout] = allCiphers.flatMap { c in allDigests.map { FrameLayout(cipher: c, digest: $0) } }

private func testKey() -> StaticKey {
    var generator = SeededGenerator(seed: 42)
    return StaticKey(bytes: (0..<256).map { _ in UInt8.random(in: 1...255, using: &generator) })!
}

@Suite struct DataChannelRoundTripTests {
    @Test(arguments: suites)
    func roundTripsEveryPayloadSizeInBothDirections(_ layout: FrameLayout) throws {
        let key = testKey()
        let pairs: [(KeyDirection, KeyDirection)] = [
            (.normal, .inverse), (.inverse, .normal), (.bidirectional, .bidirectional),
        ]
        for (local, remote) in pairs {
            let sealer = try DataChannelSealer(key: key, direction: local, layout: layout)
            let opener = try DataChannelOpener(key: key, direction: remote, layout: layout, replay: .init())
            var generator = SeededGenerator(seed: 7)
            for size in 0...1500 {
                let payload = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let wire = try #require(sealCopy(sealer, payload, now: 1_795_966_608))
                #expect(wire.count == layout.wireLength(payload: size))
                let (result, opened) = openCopy(opener, wire, now: 1000)
                #expect(
                    result
                        == .payload(
                            offset: layout.cryptoHeadroom, length: size, packetID: UInt32(size + 1), time: 1_795_966_608
                        ))
                #expect(opened == payload)
            }
        }
    }

    @Test(arguments: [
        FrameLayout(cipher: .aes256CBC, digest: .sha256, replayProtection: false),
        FrameLayout(cipher: .none, digest: .sha1, replayProtection: false),
        FrameLayout(cipher: .bfCBC, digest: .none, replayProtection: false),
    ])
    func noReplayLayoutCarriesNoPacketID(_ layout: FrameLayout) throws {
        let key = testKey()
        let sealer = try DataChannelSealer(key: key, direction: .normal, layout: layout)
        let opener = try DataChannelOpener(key: key, direction: .inverse, layout: layout, replay: .init())
        for size in [0, 1, 15, 16, 17, 100, 1500] {
            let payload = [UInt8](repeating: UInt8(size & 0xff), count: size)
            let wire = try #require(sealCopy(sealer, payload, now: 5))
            #expect(wire.count == layout.wireLength(payload: size))
            // The same packet twice is accepted: there is nothing to check replay against.
            for _ in 0..<2 {
                let (result, opened) = openCopy(opener, wire)
                #expect(result == .payload(offset: layout.cryptoHeadroom, length: size, packetID: 0, time: 0))
                #expect(opened == payload)
            }
        }
    }

    @Test func cipherNoneAuthNoneIsPlainIDTimePayload() throws {
        let layout = FrameLayout(cipher: .none, digest: .none)
        let sealer = try DataChannelSealer(key: testKey(), direction: .bidirectional, layout: layout)
        let wire = try #require(sealCopy(sealer, [0xAA, 0xBB], now: 0x6B0C_471D))
        #expect(hexString(wire) == "000000016b0c471daabb")
    }

    @Test func randomIVsDifferPerPacketAndNeverRepeatAcrossPoolRefills() throws {
        let layout = FrameLayout(cipher: .aes128CBC, digest: .sha1)
        let sealer = try DataChannelSealer(key: testKey(), direction: .normal, layout: layout)
        var seen = Set<[UInt8]>()
        for _ in 0..<300 {
            let wire = try #require(sealCopy(sealer, [1, 2, 3], now: 1))
            seen.insert(Array(wire[20..<36]))
        }
        #expect(seen.count == 300)
    }

    @Test func replayedPacketIsDroppedAfterAuthentication() throws {
        let layout = FrameLayout(cipher: .aes256CBC, digest: .sha256)
        let sealer = try DataChannelSealer(key: testKey(), direction: .normal, layout: layout)
        let opener = try DataChannelOpener(key: testKey(), direction: .inverse, layout: layout, replay: .init())
        let wire = try #require(sealCopy(sealer, [9, 9, 9], now: 100))
        #expect(openCopy(opener, wire).1 == [9, 9, 9])
        #expect(openCopy(opener, wire).0 == .dropped(.replayed))
        #expect(opener.replayHighWater == (100, 1))
        opener.resetSession()
        #expect(openCopy(opener, wire).1 == [9, 9, 9])
        opener.presetReplay(time: 100, id: 5)
        #expect(openCopy(opener, wire).0 == .dropped(.replayed))
    }

    @Test func capturedPacketsStayReplayedAfterAPresetRestart() throws {
        // A receiver restarts with replay-persist's mark (100, 7); the sender carries on with id 8.
        // Captured packets 3 and 7 of the earlier run must not be delivered again.
        let layout = FrameLayout(cipher: .aes256CBC, digest: .sha256)
        let sealer = try DataChannelSealer(key: testKey(), direction: .normal, layout: layout)
        let captured = try (1...8).map { id in try #require(sealCopy(sealer, [UInt8(id)], now: 100)) }
        let opener = try DataChannelOpener(key: testKey(), direction: .inverse, layout: layout, replay: .init())
        opener.presetReplay(time: 100, id: 7)
        #expect(openCopy(opener, captured[7]).1 == [8])
        for id in [3, 7, 1] {
            #expect(openCopy(opener, captured[id - 1]).0 == .dropped(.replayed), "captured id \(id) delivered again")
        }
    }

    /// Crypto workers: the owner takes ids in order, a helper sealer (same key) seals with them; a
    /// helper opener authenticates, the owner's `accept` keeps the replay window exact.
    @Test func helperSealersUseTheOwnersIDsAndTheOwnerKeepsTheReplayWindow() throws {
        let layout = FrameLayout(cipher: .aes256CBC, digest: .sha256)
        let owner = try DataChannelSealer(key: testKey(), direction: .normal, layout: layout)
        let helper = try DataChannelSealer(key: testKey(), direction: .normal, layout: layout)
        let ids = (0..<3).compactMap { _ in owner.takePacketID(now: 50) }
        #expect(ids.map { $0.id } == [1, 2, 3] && ids.allSatisfy { $0.time == 50 })
        let wires: [[UInt8]] = try ids.reversed().map { id in
            let headroom = layout.cryptoHeadroom
            var buffer = [UInt8](repeating: 0, count: headroom + 1 + layout.tailroom)
            buffer[headroom] = UInt8(id.id)
            let result = buffer.withUnsafeMutableBytes {
                helper.seal(
                    $0.baseAddress!, payloadOffset: headroom, payloadLength: 1, capacity: $0.count, packetID: id)
            }
            guard case .sealed(let start, let length) = result else { throw SealError() }
            return Array(buffer[start..<start + length])
        }
        // The owner's own next packet continues the sequence.
        #expect(try #require(sealCopy(owner, [4], now: 50)).count > 0)
        #expect(owner.packetID.lastID == 4)
        let ownerOpener = try DataChannelOpener(key: testKey(), direction: .inverse, layout: layout, replay: .init())
        let helperOpener = try DataChannelOpener(key: testKey(), direction: .inverse, layout: layout, replay: nil)
        var accepted: [Bool] = []
        for wire in wires + wires {  // ids 3, 2, 1 (reordered, inside the window), then the same again
            var buffer = wire
            let authenticated = buffer.withUnsafeMutableBytes {
                helperOpener.authenticate($0.baseAddress!, length: wire.count)
            }
            guard case .payload(let offset, _, let id, _) = authenticated else {
                Issue.record("helper failed to authenticate: \(authenticated)")
                continue
            }
            #expect(buffer[offset] == UInt8(id))
            accepted.append(ownerOpener.accept(authenticated, now: 0) == authenticated)
        }
        #expect(accepted == [true, true, true, false, false, false])
        #expect(ownerOpener.replayHighWater == (50, 3))
    }

    private struct SealError: Error {}

    @Test func openerWithoutReplayWindowStillReadsIDs() throws {
        let layout = FrameLayout(cipher: .aes128CBC, digest: .sha256)
        let sealer = try DataChannelSealer(key: testKey(), direction: .normal, layout: layout)
        let opener = try DataChannelOpener(key: testKey(), direction: .inverse, layout: layout, replay: nil)
        let wire = try #require(sealCopy(sealer, [1], now: 77))
        for _ in 0..<2 {
            #expect(
                openCopy(opener, wire).0 == .payload(offset: layout.cryptoHeadroom, length: 1, packetID: 1, time: 77))
        }
    }

    @Test func sessionTimeIsFixedByFirstPacketAndResetStartsNewSession() throws {
        let layout = FrameLayout(cipher: .none, digest: .none)
        let sealer = try DataChannelSealer(key: testKey(), direction: .bidirectional, layout: layout)
        #expect(try #require(sealCopy(sealer, [], now: 10)) == [0, 0, 0, 1, 0, 0, 0, 10])
        #expect(try #require(sealCopy(sealer, [], now: 20)) == [0, 0, 0, 2, 0, 0, 0, 10])
        sealer.resetSession()
        #expect(try #require(sealCopy(sealer, [], now: 30)) == [0, 0, 0, 1, 0, 0, 0, 30])
    }

    @Test func packetIDRollOverNeedsClockProgress() throws {
        let layout = FrameLayout(cipher: .aes128CBC, digest: .sha1)
        let sealer = try DataChannelSealer(key: testKey(), direction: .normal, layout: layout)
        let opener = try DataChannelOpener(key: testKey(), direction: .inverse, layout: layout, replay: .init())
        sealer.packetID = PacketIDSender(nextID: UInt32.max, time: 100)
        let last = try #require(sealCopy(sealer, [1], now: 100))
        #expect(
            openCopy(opener, last).0
                == .payload(offset: layout.cryptoHeadroom, length: 1, packetID: UInt32.max, time: 100))
        #expect(sealCopy(sealer, [2], now: 100) == nil)  // same second: roll-over refused
        let headroom = layout.cryptoHeadroom
        var buffer = [UInt8](repeating: 0, count: 100)
        let refused = buffer.withUnsafeMutableBytes {
            sealer.seal($0.baseAddress!, payloadOffset: headroom, payloadLength: 1, capacity: 100, now: 100)
        }
        #expect(refused == .dropped(.packetIDRollOver))
        let rolled = try #require(sealCopy(sealer, [3], now: 101))
        #expect(openCopy(opener, rolled).0 == .payload(offset: headroom, length: 1, packetID: 1, time: 101))
    }

    @Test func refusesBuffersWithoutHeadroomOrTailroom() throws {
        let layout = FrameLayout(cipher: .aes256CBC, digest: .sha256)
        let sealer = try DataChannelSealer(key: testKey(), direction: .normal, layout: layout)
        var buffer = [UInt8](repeating: 0, count: 200)
        let headroom = layout.cryptoHeadroom
        buffer.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!
            #expect(
                sealer.seal(base, payloadOffset: headroom - 1, payloadLength: 10, capacity: 200, now: 1)
                    == .dropped(.noRoom))
            #expect(
                sealer.seal(base, payloadOffset: headroom, payloadLength: 200 - headroom - 15, capacity: 200, now: 1)
                    == .dropped(.noRoom))
            #expect(
                sealer.seal(base, payloadOffset: headroom, payloadLength: -1, capacity: 200, now: 1)
                    == .dropped(.noRoom))
            #expect(
                sealer.seal(base, payloadOffset: headroom, payloadLength: 200 - headroom - 16, capacity: 200, now: 1)
                    == .sealed(start: 0, length: layout.wireLength(payload: 200 - headroom - 16)))
            // Headroom beyond the minimum: the packet starts later in the buffer.
            #expect(
                sealer.seal(base, payloadOffset: headroom + 5, payloadLength: 10, capacity: 200, now: 1)
                    == .sealed(start: 5, length: layout.wireLength(payload: 10)))
        }
        // A refused packet used no packet-id: the next sealed one is id 3 (two were sealed above).
        #expect(sealer.packetID.lastID == 2)
    }

    @Test func dropReasonsCarryOpenVPNTexts() {
        #expect(DropReason.badHMAC.openVPNText == "packet HMAC authentication failed")
        #expect(DropReason.tooShort.openVPNText == "missing authentication info")
        #expect(DropReason.badPadding.openVPNText == "cipher final failed")
        #expect(DropReason.shortPacketID.openVPNText == "error reading CBC packet-id")
        #expect(Set(DropReason.allCases.map(\.openVPNText)).count == DropReason.allCases.count)
    }
}

@Suite struct DataChannelTamperingTests {
    @Test func flippingAnyByteOfAnAuthenticatedVectorFailsHMAC() throws {
        let key = try VectorFixtures.key()
        var flips = 0
        for set in try VectorFixtures.sets() where !set.layout.digest.isNone {
            for packet in set.packets {
                let opener = try DataChannelOpener(
                    key: key, direction: packet.senderDirection.complement, layout: set.layout, replay: nil)
                let wire = packet.wire
                for index in wire.indices {
                    for mask: UInt8 in [0x01, 0x80] {
                        var tampered = wire
                        tampered[index] ^= mask
                        #expect(
                            openCopy(opener, tampered).0 == .dropped(.badHMAC),
                            "\(set.name) frame \(packet.pcapFrame) byte \(index)")
                        flips += 1
                    }
                }
            }
        }
        #expect(flips > 20_000)
    }

    @Test func everyTruncationIsDroppedWithoutCrashing() throws {
        let key = try VectorFixtures.key()
        for set in try VectorFixtures.sets() {
            let layout = set.layout
            for packet in set.packets {
                let opener = try DataChannelOpener(
                    key: key, direction: packet.senderDirection.complement, layout: layout, replay: nil)
                let wire = packet.wire
                for length in 0..<wire.count {
                    let (result, _) = openCopy(opener, Array(wire[..<length]))
                    if length == 0 {
                        #expect(result == .dropped(.empty))
                    } else if length < layout.digest.length {
                        #expect(result == .dropped(.tooShort))
                    } else if !layout.digest.isNone {
                        #expect(result == .dropped(.badHMAC))
                    } else if layout.cipher.isNone && length < WireFormat.packetIDLength {
                        #expect(result == .dropped(.shortPacketID))
                    }
                    // cipher none + auth none has no integrity: longer truncations legitimately open.
                }
            }
        }
    }

    @Test(arguments: suites + [FrameLayout(cipher: .aes256CBC, digest: .none, replayProtection: false)])
    func randomGarbageIsDroppedOrOpenedWithinBounds(_ layout: FrameLayout) throws {
        let opener = try DataChannelOpener(key: testKey(), direction: .normal, layout: layout, replay: .init())
        var generator = SeededGenerator(seed: 0xC0FFEE)
        var drops = 0
        let rounds = 3000
        for _ in 0..<rounds {
            let length = Int.random(in: 0...300, using: &generator)
            let garbage = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let (result, _) = openCopy(opener, garbage)  // bounds are checked inside openCopy
            if case .dropped = result { drops += 1 }
            if !layout.digest.isNone {
                #expect(result != .dropped(.replayed))
                if case .payload = result { Issue.record("garbage passed HMAC \(layout.digest.name)") }
            }
        }
        if !layout.digest.isNone { #expect(drops == rounds) }
    }
}

/// A batch (`beginBatch` ... `completeBatch`) puts exactly the bytes on the wire that sealing the
/// same packets one by one does, for every suite that batches, and nothing for one that does not.
@Suite struct DataChannelBatchTests {
    @Test(arguments: suites)
    func batchedSealingIsByteForByteOneByOneSealing(_ layout: FrameLayout) throws {
        let key = testKey()
        let one = try DataChannelSealer(key: key, direction: .normal, layout: layout)
        let batched = try DataChannelSealer(key: key, direction: .normal, layout: layout)
        var generator = SeededGenerator(seed: 5)
        // More packets than one batch holds, so the sealer also flushes inside a batch.
        let count = DataChannelSealer.batchCapacity + 13
        let sizes = (0..<count).map { i in i % 5 == 0 ? 1400 : (i * 97) % 1500 }
        let payloads = sizes.map { n in (0..<n).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        let ivs = (0..<count).map { _ in (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        let expected = try (0..<count).map { try #require(sealCopy(one, payloads[$0], now: 77, iv: ivs[$0])) }

        let headroom = layout.cryptoHeadroom
        let stride = headroom + 1500 + layout.tailroom
        let train = UnsafeMutableRawPointer.allocate(byteCount: stride * count, alignment: 16)
        defer { train.deallocate() }
        let batching = batched.beginBatch()
        #expect(batching == (!layout.cipher.isNone && layout.cipher.blockSize == 16))
        var results: [(Int, Int)] = []
        for i in 0..<count {
            let base = train + i * stride
            payloads[i].withUnsafeBytes {
                base.advanced(by: headroom).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
            }
            let sealed = (ivs[i] + [0]).withUnsafeBytes { iv in
                batched.seal(
                    base, payloadOffset: headroom, payloadLength: payloads[i].count, capacity: stride, now: 77,
                    iv: iv.baseAddress!)
            }
            guard case .sealed(let start, let length) = sealed else {
                Issue.record("packet \(i): \(sealed)")
                return
            }
            results.append((start, length))
        }
        #expect(batched.completeBatch())
        for i in 0..<count {
            let (start, length) = results[i]
            let wire = Array(UnsafeRawBufferPointer(start: train + i * stride + start, count: length))
            #expect(wire == expected[i], "\(layout): packet \(i) of \(sizes[i]) bytes")
        }
    }
}
