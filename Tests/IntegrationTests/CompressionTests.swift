import Foundation
import Testing

extension IntegrationTests.DaemonOptions {
    /// A compressing openvpn 2.6 peer (`allow-compression yes`) with `comp-lzo yes` or `compress lz4-v2`,
    /// swvpnd at the default `allow-compression asym`: compressible and random data cross both ways byte
    /// for byte. openvpn's own counters show that it compressed what it sent (post-compress below
    /// pre-compress), so swvpnd decompressed real LZO/LZ4 packets; swvpnd sends uncompressed, as openvpn
    /// does under asym.
    @Test(arguments: ["comp-lzo yes", "compress lz4-v2"])
    func decompressesACompressingOpenVPNPeer(_ option: String) throws {
        let env = try Self.prepare()
        defer { env.lab.teardown() }
        let status = env.lab.path("openvpn-status.txt")
        let peers = try Self.startPair(env, extraA: [option],
                                       extraB: [option, "allow-compression yes", "status \(status) 1"])
        let seed = env.seed
        let bytes = 4 * 1024 * 1024
        for compressible in [true, false] {
            try seed.transfer(from: seed.hostA, to: seed.hostB, receiverAddress: SeedLab.hostAddrB, bytes: bytes, seed: 31,
                              compressible: compressible)
            try seed.transfer(from: seed.hostB, to: seed.hostA, receiverAddress: SeedLab.hostAddrA, bytes: bytes, seed: 32,
                              compressible: compressible)
        }
        try Self.eventually("openvpn's status file with compression counters", timeout: 20) {
            (Self.read(status) ?? "").contains("post-compress bytes")
        }
        let counters = Self.statusCounters(status)
        let pre = counters["pre-compress bytes"] ?? 0
        let post = counters["post-compress bytes"] ?? 0
        #expect(pre >= bytes && post < pre - bytes / 2, "\(option): openvpn compressed little or nothing: \(counters)")
        #expect(peers.a.isRunning && peers.b.isRunning, "a peer died during the test")
        try LogScan.assertClean([peers.a, peers.b])
    }

    /// `allow-compression yes` on swvpnd too: it compresses what shrinks (LZO or LZ4 as configured) and openvpn
    /// decompresses it; compressible and random data cross both ways byte for byte, and openvpn's counters
    /// show it received compressed packets (pre-decompress well below post-decompress).
    @Test(arguments: ["comp-lzo yes", "compress lz4-v2", "compress lz4"])
    func compressesForOpenVPNWithAllowCompressionYes(_ option: String) throws {
        let env = try Self.prepare()
        defer { env.lab.teardown() }
        let status = env.lab.path("openvpn-status.txt")
        let peers = try Self.startPair(env, extraA: [option, "allow-compression yes"],
                                       extraB: [option, "allow-compression yes", "status \(status) 1"])
        let seed = env.seed
        let bytes = 4 * 1024 * 1024
        for compressible in [true, false] {
            try seed.transfer(from: seed.hostA, to: seed.hostB, receiverAddress: SeedLab.hostAddrB, bytes: bytes, seed: 41,
                              compressible: compressible)
            try seed.transfer(from: seed.hostB, to: seed.hostA, receiverAddress: SeedLab.hostAddrA, bytes: bytes, seed: 42,
                              compressible: compressible)
        }
        try Self.eventually("openvpn's status file with decompression counters", timeout: 20) {
            (Self.statusCounters(status)["post-decompress bytes"] ?? 0) >= bytes
        }
        let counters = Self.statusCounters(status)
        let pre = counters["pre-decompress bytes"] ?? 0
        let post = counters["post-decompress bytes"] ?? 0
        #expect(post >= bytes && pre < post - bytes / 2, "\(option): swvpnd compressed little or nothing: \(counters)")
        #expect(peers.a.isRunning && peers.b.isRunning, "a peer died during the test")
        try LogScan.assertClean([peers.a, peers.b])
    }

    /// The `name,number` lines of openvpn's status file (version 1).
    static func statusCounters(_ path: String) -> [String: Int] {
        Dictionary((read(path) ?? "").split(separator: "\n").compactMap { line -> (String, Int)? in
            let parts = line.split(separator: ",")
            guard parts.count == 2, let value = Int(parts[1]) else { return nil }
            return (String(parts[0]), value)
        }, uniquingKeysWith: { $1 })
    }
}
