import Foundation
import Testing

extension IntegrationTests.DaemonOptions {
    /// A compressing openvpn 2.6 peer (`allow-compression yes`) with `comp-lzo yes` or `compress lz4-v2`,
    /// swvpnd at the default `allow-compression asym`: compressible and random data cross both ways byte
    /// for byte. openvpn's own counters show that it compressed what it sent (post-compress well below
    /// pre-compress), so swvpnd decompressed real LZO/LZ4 packets; swvpnd sends uncompressed, as openvpn
    /// does under asym.
    @Test(arguments: ["comp-lzo yes", "compress lz4-v2"])
    func decompressesACompressingOpenVPNPeer(_ option: String) throws {
        let counters = try Self.compressedTransfers(option, swvpnd: [option], seed: 31, counter: "post-compress bytes")
        let bytes = Self.compressionTransferBytes
        let pre = counters["pre-compress bytes"] ?? 0
        let post = counters["post-compress bytes"] ?? 0
        #expect(pre >= bytes && post < pre - bytes / 2, "\(option): openvpn compressed little or nothing: \(counters)")
    }

    /// `allow-compression yes` on swvpnd too: it compresses what shrinks (LZO or LZ4 as configured) and openvpn
    /// decompresses it; compressible and random data cross both ways byte for byte, and openvpn's counters
    /// show it received compressed packets (pre-decompress well below post-decompress).
    @Test(arguments: ["comp-lzo yes", "compress lz4-v2", "compress lz4"])
    func compressesForOpenVPNWithAllowCompressionYes(_ option: String) throws {
        let counters = try Self.compressedTransfers(
            option, swvpnd: [option, "allow-compression yes"], seed: 41,
            counter: "post-decompress bytes")
        let bytes = Self.compressionTransferBytes
        let pre = counters["pre-decompress bytes"] ?? 0
        let post = counters["post-decompress bytes"] ?? 0
        #expect(post >= bytes && pre < post - bytes / 2, "\(option): swvpnd compressed little or nothing: \(counters)")
    }

    static let compressionTransferBytes = 4 * 1024 * 1024

    /// openvpn on B with `option` and `allow-compression yes`, swvpnd on A with `swvpnd`; compressible then
    /// random verified TCP transfers both ways; returns openvpn's status counters once `counter` covers them.
    static func compressedTransfers(_ option: String, swvpnd: [String], seed: Int, counter: String) throws -> [String:
        Int]
    {
        let env = try prepare()
        defer { env.lab.teardown() }
        let status = env.lab.path("openvpn-status.txt")
        let peers = try startPair(env, extraA: swvpnd, extraB: [option, "allow-compression yes", "status \(status) 1"])
        let lab = env.seed
        let bytes = compressionTransferBytes
        for compressible in [true, false] {
            try lab.transfer(
                from: lab.hostA, to: lab.hostB, receiverAddress: SeedLab.hostAddrB, bytes: bytes, seed: seed,
                compressible: compressible)
            try lab.transfer(
                from: lab.hostB, to: lab.hostA, receiverAddress: SeedLab.hostAddrA, bytes: bytes, seed: seed + 1,
                compressible: compressible)
        }
        try eventually("openvpn's status file with '\(counter)'", timeout: 20) {
            (statusCounters(status)[counter] ?? 0) >= bytes
        }
        #expect(peers.a.isRunning && peers.b.isRunning, "a peer died during the test")
        try LogScan.assertClean([peers.a, peers.b])
        return statusCounters(status)
    }

    /// The `name,number` lines of openvpn's status file (version 1).
    static func statusCounters(_ path: String) -> [String: Int] {
        Dictionary(
            (read(path) ?? "").split(separator: "\n").compactMap { line -> (String, Int)? in
                let parts = line.split(separator: ",")
                guard parts.count == 2, let value = Int(parts[1]) else { return nil }
                return (String(parts[0]), value)
            }, uniquingKeysWith: { $1 })
    }
}
