import SwvpnProtocol
import Testing

/// The geometry `PacketPathSettings` hands the I/O layer matches where the path really puts bytes.
@Suite struct PacketGeometryTests {
    static let layouts = [
        FrameLayout(cipher: .aes256CBC, digest: .sha256), FrameLayout(cipher: .bfCBC, digest: .sha1),
        FrameLayout(cipher: .none, digest: .none),
    ]

    @Test(arguments: PacketPathTests.framings, [false, true])
    func sealedPacketStartsAtWireStart(_ compression: CompressionFraming, _ tcp: Bool) throws {
        for layout in Self.layouts {
            let settings = testSettings(compression: compression, layout: layout, tcp: tcp)
            let pair = try PathPair(settings)
            var buffer = [UInt8](repeating: 0, count: settings.bufferSize)
            buffer[settings.payloadOffset] = 0x45
            let result = buffer.withUnsafeMutableBytes {
                pair.outbound.sealTunnelPacket($0.baseAddress!, length: 100, now: pair.now)
            }
            guard case .sealed(let start, let length) = result else {
                Issue.record("not sealed: \(result)")
                continue
            }
            #expect(start == settings.wireStart, "\(compression) \(layout)")
            #expect(length == layout.wireLength(payload: 100 + settings.framingGrowth))
        }
    }

    @Test func offloadNeedsDatagramsWholePacketsAndVirtioRoom() {
        #expect(testSettings().allowsOffload)
        #expect(!testSettings(tcp: true).allowsOffload)
        #expect(!testSettings(fragment: true).allowsOffload)
        #expect(!testSettings(layout: FrameLayout(cipher: .none, digest: .none)).allowsOffload)
        #expect(testSettings().inboundHeadroom >= VirtioNetHeader.size)
        #expect(testSettings().tunReadOffset(virtioHeader: true) == testSettings().payloadOffset - VirtioNetHeader.size)
    }

    @Test(arguments: PacketPathTests.framings)
    func segmentsSealedIntoATrainAreBackToBack(_ compression: CompressionFraming) throws {
        let settings = testSettings(compression: compression)
        let pair = try PathPair(settings)
        let train = settings.segmentTrain(segmentPayload: 1400, maxSegments: 64, maxBytes: 65_000)
        #expect(train.segmentWireLength == settings.layout.wireLength(payload: 1400 + settings.framingGrowth))
        #expect(train.segmentsPerTrain == 65_000 / train.segmentWireLength)
        let memory = UnsafeMutableRawPointer.allocate(
            byteCount: settings.trainSlack + 4 * settings.bufferSize, alignment: 16)
        defer { memory.deallocate() }
        let start = memory + settings.trainSlack
        var total = 0
        for segment in 0..<3 {
            let base = train.sealBase(start, offset: total)
            base.advanced(by: settings.payloadOffset).initializeMemory(
                as: UInt8.self, repeating: UInt8(segment), count: 1400)
            base.storeBytes(of: 0x45, toByteOffset: settings.payloadOffset, as: UInt8.self)
            guard case .sealed(let s, let length) = pair.outbound.sealTunnelPacket(base, length: 1400, now: pair.now)
            else {
                Issue.record("segment \(segment) not sealed")
                return
            }
            #expect(base + s == start + total, "segment \(segment) continues the train")
            #expect(length == train.segmentWireLength)
            total += length
        }
        // Each sealed segment opens on its own.
        for segment in 0..<3 {
            let wire = Array(
                UnsafeRawBufferPointer(start: start + segment * train.segmentWireLength, count: train.segmentWireLength)
            )
            guard case (.tunnel(let ip), _) = pair.receive(wire) else {
                Issue.record("segment \(segment) did not open")
                continue
            }
            #expect(ip.count == 1400 && ip.last == UInt8(segment))
        }
    }
}
