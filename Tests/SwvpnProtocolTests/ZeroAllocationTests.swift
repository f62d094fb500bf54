import SwvpnCrypto
import SwvpnProtocol
import SwvpnTestSupport
import Testing

/// Zero heap allocations per packet on the steady-state paths, counted exactly by the malloc
/// interposer (`AllocationCounter`). The same paths as Benchmarks/ (seal and open per cipher suite
/// and size, 1000 packets each), plus the TCP record reader and the offload segmenter/coalescer.
/// Set-up and a warm-up run outside the count; any allocation in the counted packets fails.
@Suite(.serialized)
struct ZeroAllocationTests {
    struct CipherSuite: Sendable, CustomTestStringConvertible {
        let cipher: CipherSpec
        let digest: DigestSpec
        var testDescription: String { "\(cipher)/\(digest)" }
    }

    /// The micro-benchmarks' suites (BF-CBC through OpenSSL 3's legacy provider).
    static let suites = [
        CipherSuite(cipher: .aes256CBC, digest: .sha256),
        CipherSuite(cipher: .aes128CBC, digest: .sha1),
        CipherSuite(cipher: .bfCBC, digest: .sha1),
        CipherSuite(cipher: .none, digest: .none),
    ]
    static let payloadSizes = [64, 512, 1400]
    static let packets = 1000
    static let now: UInt32 = 1_800_000_000

    init() throws {
        try CryptoProviders.load(["legacy", "default"])
    }

    @Test func counterSeesAllocationsOnItsThreadOnly() {
        #expect(AllocationCounter.isLive, "malloc interposer not in effect: every zero below would be vacuous")
        var kept: [[UInt8]] = []
        let n = AllocationCounter.count { for i in 0..<10 { kept.append([UInt8](repeating: 1, count: 100 + i)) } }
        #expect(n >= 10)
        #expect(AllocationCounter.count {} == 0)
        #expect(kept.count == 10)
    }

    /// An IPv4/UDP packet of `size` bytes at `p` (content does not change the cost of CBC/HMAC).
    static func writeIPv4(into p: UnsafeMutableRawPointer, size: Int) {
        p.initializeMemory(as: UInt8.self, repeating: 0x5A, count: size)
        p.storeBytes(of: 0x45, as: UInt8.self)
        p.storeBytes(of: UInt16(size).bigEndian, toByteOffset: 2, as: UInt16.self)
    }

    static func settings(_ suite: CipherSuite) -> PacketPathSettings {
        PacketPathSettings(layout: FrameLayout(cipher: suite.cipher, digest: suite.digest))
    }

    @Test(arguments: suites, payloadSizes)
    func sealTunnelPacket(suite: CipherSuite, size: Int) throws {
        try #require(AllocationCounter.isLive, "malloc interposer not in effect")
        let settings = Self.settings(suite)
        let path = OutboundPath(
            settings: settings,
            sealer: try DataChannelSealer(key: try VectorFixtures.key(), direction: .normal, layout: settings.layout))
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: settings.bufferSize, alignment: 64)
        defer { buffer.deallocate() }
        Self.writeIPv4(into: buffer + settings.payloadOffset, size: size)
        for _ in 0..<10 { _ = path.sealTunnelPacket(buffer, length: size, now: Self.now) }  // warm-up
        var sealed = 0
        let allocations = AllocationCounter.count {
            for _ in 0..<Self.packets {
                if case .sealed = path.sealTunnelPacket(buffer, length: size, now: Self.now) { sealed += 1 }
            }
        }
        #expect(sealed == Self.packets)
        #expect(allocations == 0, "\(allocations) allocations in \(Self.packets) sealed packets")
    }

    /// A batch of segments sealed together (the TSO train path: multi-buffer CBC, then the HMACs).
    @Test(arguments: suites)
    func sealTunnelPacketsInABatch(suite: CipherSuite) throws {
        try #require(AllocationCounter.isLive, "malloc interposer not in effect")
        let settings = Self.settings(suite)
        let path = OutboundPath(
            settings: settings,
            sealer: try DataChannelSealer(key: try VectorFixtures.key(), direction: .normal, layout: settings.layout))
        let slots = 40
        let train = UnsafeMutableRawPointer.allocate(byteCount: settings.bufferSize * slots, alignment: 64)
        defer { train.deallocate() }
        func batch() -> Int {
            var sealed = 0
            let batched = path.sealer.beginBatch()
            for i in 0..<slots {
                let base = train + i * settings.bufferSize
                Self.writeIPv4(into: base + settings.payloadOffset, size: 1400)
                if case .sealed = path.sealTunnelPacket(base, length: 1400, now: Self.now) { sealed += 1 }
            }
            return batched && !path.sealer.completeBatch() ? 0 : sealed
        }
        _ = batch()  // warm-up
        var sealed = 0
        let allocations = AllocationCounter.count { for _ in 0..<25 { sealed += batch() } }
        #expect(sealed == 25 * slots)
        #expect(allocations == 0, "\(allocations) allocations in \(sealed) packets sealed in batches")
    }

    /// Dispatch runs the TX queue on whichever worker thread is free, so sealing must not allocate
    /// on a thread that never sealed before either. `RAND_bytes` did (OpenSSL 3 builds its DRBG per
    /// thread, ~20 mallocs: the positive control below); the sealer's own `OwnedDRBG` does not.
    @Test func sealingOnAFreshThreadAllocatesNothing() throws {
        try #require(AllocationCounter.isLive, "malloc interposer not in effect")
        let settings = Self.settings(Self.suites[0])
        let path = OutboundPath(
            settings: settings,
            sealer: try DataChannelSealer(key: try VectorFixtures.key(), direction: .normal, layout: settings.layout))
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: settings.bufferSize, alignment: 64)
        defer { buffer.deallocate() }
        Self.writeIPv4(into: buffer + settings.payloadOffset, size: 512)
        for _ in 0..<10 { _ = path.sealTunnelPacket(buffer, length: 512, now: Self.now) }  // warm-up, this thread
        let control = FreshThread.run {
            var byte: UInt8 = 0
            return AllocationCounter.count {
                withUnsafeMutableBytes(of: &byte) { _ = try? SecureRandom.fill($0) }
            }
        }
        #expect(control > 0, "RAND_bytes on a new thread allocated nothing: the check below would prove nothing")
        var sealed = 0
        // 200 packets: the 64-IV pool is refilled three times on the new thread.
        let allocations = FreshThread.run {
            AllocationCounter.count {
                for _ in 0..<200 {
                    if case .sealed = path.sealTunnelPacket(buffer, length: 512, now: Self.now) { sealed += 1 }
                }
            }
        }
        #expect(sealed == 200)
        #expect(allocations == 0, "\(allocations) allocations sealing 200 packets on a new thread")
    }

    @Test(arguments: suites, payloadSizes)
    func openTunnelPacket(suite: CipherSuite, size: Int) throws {
        try #require(AllocationCounter.isLive, "malloc interposer not in effect")
        let settings = Self.settings(suite)
        let key = try VectorFixtures.key()
        let sender = OutboundPath(
            settings: settings, sealer: try DataChannelSealer(key: key, direction: .normal, layout: settings.layout))
        let path = InboundPath(
            settings: settings,
            opener: try DataChannelOpener(key: key, direction: .inverse, layout: settings.layout, replay: .init()))
        // A ring of consecutive sealed packets, made before counting; opening works in place, so each
        // is copied into the receive buffer first (as the benchmark does).
        let warmUp = 10
        let count = warmUp + Self.packets
        let stride = settings.bufferSize
        let ring = UnsafeMutableRawPointer.allocate(byteCount: stride * count, alignment: 64)
        let lengths = UnsafeMutablePointer<Int>.allocate(capacity: count)
        let receive = UnsafeMutableRawPointer.allocate(byteCount: stride, alignment: 64)
        defer {
            ring.deallocate()
            lengths.deallocate()
            receive.deallocate()
        }
        for i in 0..<count {
            Self.writeIPv4(into: receive + settings.payloadOffset, size: size)
            guard case .sealed(let start, let length) = sender.sealTunnelPacket(receive, length: size, now: Self.now)
            else {
                Issue.record("seal failed")
                return
            }
            (ring + i * stride).copyMemory(from: receive + start, byteCount: length)
            lengths[i] = length
        }
        func open(_ i: Int) -> Bool {
            receive.copyMemory(from: ring + i * stride, byteCount: lengths[i])
            if case .tunnelPacket(let p) = path.open(receive, length: lengths[i], now: Int64(Self.now)) {
                return p.count == size
            }
            return false
        }
        for i in 0..<warmUp { _ = open(i) }
        var opened = 0
        let allocations = AllocationCounter.count { for i in warmUp..<count where open(i) { opened += 1 } }
        #expect(opened == Self.packets)
        #expect(allocations == 0, "\(allocations) allocations in \(Self.packets) opened packets")
    }

    /// 1000 records back to back, fed to the reader in chunks of changing size (cutting prefixes and
    /// bodies at many offsets), then cut out of the staged stream with `next(in:)`.
    @Test func tcpRecordReader() throws {
        try #require(AllocationCounter.isLive, "malloc interposer not in effect")
        let sizes = (0..<Self.packets).map { 1 + ($0 &* 397) % 1500 }
        var stream: [UInt8] = []
        for size in sizes { stream += [UInt8(size >> 8), UInt8(size & 0xFF)] + [UInt8](repeating: 0x42, count: size) }
        let destination = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 16)
        defer { destination.deallocate() }
        var records = 0
        var staged = 0
        var failures = 0
        let allocations = stream.withUnsafeBytes { bytes in
            AllocationCounter.countSteadyState {
                (records, staged) = (0, 0)
                var reader = TCPRecordReader(maxRecordLength: 1500)
                var offset = 0
                var chunk = 1
                while offset < bytes.count {
                    let end = min(offset + chunk, bytes.count)
                    var piece = UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
                    offset = end
                    chunk = chunk % 1700 + 37
                    feeding: while !piece.isEmpty {
                        switch reader.read(from: piece, into: destination) {
                        case .needMore: break feeding
                        case .record(_, let consumed):
                            records += 1
                            piece = UnsafeRawBufferPointer(rebasing: piece[consumed...])
                        case .error:
                            failures += 1
                            return
                        }
                    }
                }
                var staging = TCPRecordReader(maxRecordLength: 1500)
                var rest = bytes[...]
                while case .record(_, let consumed) = staging.next(in: UnsafeRawBufferPointer(rebasing: rest)) {
                    staged += 1
                    rest = rest[(rest.startIndex + consumed)...]
                }
            }
        }
        #expect(failures == 0)
        #expect(records == Self.packets && staged == Self.packets)
        #expect(allocations == 0, "\(allocations) allocations reading \(Self.packets) records")
    }

    /// Software TSO: 64 KB IPv4 super-packets cut into 1359-byte segments (≥ 1000 segments).
    @Test func segmenter() throws {
        try #require(AllocationCounter.isLive, "malloc interposer not in effect")
        let packet = OffloadTests.superPacketV4(payload: 65_000 - 52)
        let out = UnsafeMutableRawPointer.allocate(byteCount: 2000, alignment: 16)
        defer { out.deallocate() }
        var segments = 0
        var bytes = 0
        let allocations = packet.withUnsafeBytes { raw in
            AllocationCounter.countSteadyState {
                (segments, bytes) = (0, 0)
                while segments < Self.packets {
                    guard let plan = TCPSegmenter.plan(raw, mss: 1359) else { return }
                    for i in 0..<plan.count {
                        bytes += TCPSegmenter.writeSegment(i, of: raw.baseAddress!, plan: plan, to: out)
                        segments += 1
                    }
                }
            }
        }
        #expect(segments >= Self.packets && bytes > segments * 1359)
        #expect(allocations == 0, "\(allocations) allocations cutting \(segments) segments")
    }

    /// Software GRO: the segments of 64 KB super-packets joined back, 1000+ segments in all.
    @Test func coalescer() throws {
        try #require(AllocationCounter.isLive, "malloc interposer not in effect")
        let segments = try OffloadTests.segments(
            of: OffloadTests.superPacketV4(payload: 40_000, flags: 0x10), mss: 1359)
        // The segments side by side in one buffer, walked by index: iterating `[[UInt8]]` allocates
        // per element in unoptimised builds, which is the test's cost, not the coalescer's.
        let count = segments.count
        let stride = 1500
        let storage = UnsafeMutableRawPointer.allocate(byteCount: count * stride, alignment: 16)
        let lengths = UnsafeMutablePointer<Int>.allocate(capacity: count)
        defer {
            storage.deallocate()
            lengths.deallocate()
        }
        for (i, segment) in segments.enumerated() {
            segment.withUnsafeBytes { (storage + i * stride).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            lengths[i] = segment.count
        }
        let coalescer = TCPCoalescer()
        var joined = 0
        var flushed = 0
        let allocations = AllocationCounter.countSteadyState {
            (joined, flushed) = (0, 0)
            while joined < Self.packets {
                for i in 0..<count
                where coalescer.offer(UnsafeRawBufferPointer(start: storage + i * stride, count: lengths[i])) {
                    joined += 1
                }
                if let packet = coalescer.flush(), packet.count > 40_000 { flushed += 1 }
            }
        }
        #expect(joined >= Self.packets && flushed == joined / count)
        #expect(allocations == 0, "\(allocations) allocations joining \(joined) segments")
    }
}
