import Benchmark
import SwvpnCrypto
import SwvpnProtocol

// Seal and open through OutboundPath / InboundPath on preallocated buffers: what the data plane
// does per packet, minus the syscalls. Setup (keys, contexts, buffers, the pre-sealed ring) runs
// outside the measurement, so mallocCountTotal counts steady-state packets only and must be 0.

/// One cipher/auth pair under test. Benchmark names carry no spaces or slashes: `thresholds check`
/// looks for `Thresholds/<target>.<name>.p90.json` under the raw name, while `thresholds update`
/// writes it with those characters replaced by `_`.
struct Suite: Sendable {
    let label: String
    let cipher: CipherSpec
    let digest: DigestSpec
}

let suites: [Suite] = [
    Suite(label: "AES-256-CBC_SHA256", cipher: .aes256CBC, digest: .sha256),
    Suite(label: "AES-128-CBC_SHA1", cipher: .aes128CBC, digest: .sha1),
    Suite(label: "BF-CBC_SHA1", cipher: .bfCBC, digest: .sha1),
    Suite(label: "none_none", cipher: .none, digest: .none),
]
let payloadSizes = [64, 512, 1400]

/// A fixed, non-secret benchmark key (never a real one).
func benchmarkKey() -> StaticKey {
    StaticKey(bytes: (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })!
}

/// A plausible IPv4/UDP packet of `size` bytes (the content does not change the cost of CBC/HMAC).
func writeIPv4(into p: UnsafeMutableRawPointer, size: Int) {
    p.initializeMemory(as: UInt8.self, repeating: 0x5A, count: size)
    let header: [UInt8] = [
        0x45, 0, UInt8(size >> 8), UInt8(size & 0xFF), 0, 0, 0, 0, 64, 17, 0, 0,
        10, 8, 0, 1, 10, 8, 0, 2,
    ]
    for (i, b) in header.enumerated() { p.storeBytes(of: b, toByteOffset: i, as: UInt8.self) }
}

/// State for one seal benchmark: the path and one packet buffer, sealed over and over in place.
final class SealState: @unchecked Sendable {
    let path: OutboundPath
    let buffer: UnsafeMutableRawPointer
    let size: Int

    init(_ suite: Suite, size: Int) throws {
        let settings = PacketPathSettings(layout: FrameLayout(cipher: suite.cipher, digest: suite.digest))
        path = OutboundPath(
            settings: settings,
            sealer: try DataChannelSealer(key: benchmarkKey(), direction: .normal, layout: settings.layout))
        buffer = .allocate(byteCount: settings.bufferSize, alignment: 64)
        self.size = size
        writeIPv4(into: buffer + settings.payloadOffset, size: size)
        // Fill the IV pool and fix the session time before measuring.
        _ = path.sealTunnelPacket(buffer, length: size, now: 1_800_000_000)
    }

    deinit { buffer.deallocate() }
}

/// State for one open benchmark: a ring of packets sealed in setup with consecutive packet-ids,
/// each copied into the receive buffer before it is opened in place (opening destroys it). When
/// the ring wraps the replay window is reset, as a restart would.
final class OpenState: @unchecked Sendable {
    static let ringCount = 4096
    let path: InboundPath
    let ring: UnsafeMutableRawPointer
    let lengths: UnsafeMutablePointer<Int>
    let stride: Int
    let receive: UnsafeMutableRawPointer
    var next = 0

    init(_ suite: Suite, size: Int) throws {
        let settings = PacketPathSettings(layout: FrameLayout(cipher: suite.cipher, digest: suite.digest))
        let key = benchmarkKey()
        let sender = OutboundPath(
            settings: settings,
            sealer: try DataChannelSealer(key: key, direction: .normal, layout: settings.layout))
        path = InboundPath(
            settings: settings,
            opener: try DataChannelOpener(
                key: key, direction: .inverse, layout: settings.layout,
                replay: .init()))
        stride = settings.bufferSize
        ring = .allocate(byteCount: stride * Self.ringCount, alignment: 64)
        lengths = .allocate(capacity: Self.ringCount)
        receive = .allocate(byteCount: stride, alignment: 64)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: stride, alignment: 64)
        defer { scratch.deallocate() }
        for i in 0..<Self.ringCount {
            writeIPv4(into: scratch + settings.payloadOffset, size: size)
            guard
                case .sealed(let start, let length) = sender.sealTunnelPacket(scratch, length: size, now: 1_800_000_000)
            else { fatalError("benchmark setup: seal failed") }
            (ring + i * stride).copyMemory(from: scratch + start, byteCount: length)
            lengths[i] = length
        }
    }

    deinit {
        ring.deallocate()
        lengths.deallocate()
        receive.deallocate()
    }

    @inline(__always)
    func openNext() -> Bool {
        if next == Self.ringCount {
            next = 0
            path.resetSession()
        }
        let length = lengths[next]
        receive.copyMemory(from: ring + next * stride, byteCount: length)
        next += 1
        if case .tunnelPacket = path.open(receive, length: length, now: 1_800_000_000) { return true }
        return false
    }
}

let benchmarks: @Sendable () -> Void = {
    // BF-CBC lives in OpenSSL 3's legacy provider, as with `providers legacy default`.
    do { try CryptoProviders.load(["legacy", "default"]) } catch {
        fatalError("cannot load OpenSSL providers: \(error)")
    }

    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(1),
        maxIterations: 1_000_000,
        // Zero allocations per steady-state packet: any malloc in 1000 packets fails the check.
        // Timing tolerances are wide: the machines this runs on are shared and noisy (regression
        // signal for `thresholds check`, never a test).
        thresholds: [
            .mallocCountTotal: .init(absolute: [.p0: 0, .p50: 0, .p90: 0, .p99: 0, .p100: 0]),
            .throughput: .init(relative: [.p90: 35.0]),
            .wallClock: .init(relative: [.p90: 35.0]),
        ]
    )

    for suite in suites {
        for size in payloadSizes {
            // One scaled iteration = 1000 packets, so throughput (per second) reads in kilo-packets.
            Benchmark("seal_\(suite.label)_\(size)B") { benchmark, state in
                let buffer = state.buffer
                let length = state.size
                for _ in benchmark.scaledIterations {
                    blackHole(state.path.sealTunnelPacket(buffer, length: length, now: 1_800_000_000))
                }
            } setup: {
                try SealState(suite, size: size)
            }

            Benchmark("open_\(suite.label)_\(size)B") { benchmark, state in
                for _ in benchmark.scaledIterations {
                    blackHole(state.openNext())
                }
            } setup: {
                try OpenState(suite, size: size)
            }
        }
    }
}
