import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension IntegrationTests {
    /// The test-owned UDP relay (scripts/lib/udprelay.py) that later fault tests put between the peers.
    @Suite(.serialized)
    struct Relay {
        static let cipher = CipherCase.aes256CBCSHA256KeyDirection

        /// Runs an openvpn pair whose A side reaches B only through the relay in namespace vpn1:
        /// A (0.0.0.0:1194) <-> relay 127.0.0.1:2000 | relay 10.77.0.1:1300 <-> B (10.77.0.2:1194).
        static func withRelay(
            faults: [String], _ body: (SeedLab, (a: Daemon, b: Daemon), Daemon) throws -> Void
        ) throws {
            try Prerequisites.requireBase()
            let lab = try NetnsLab()
            defer { lab.teardown() }
            let seed = try SeedLab(lab: lab)
            let key = try seed.generateKey()
            let (peers, relay) = try seed.startRelayedPair(a: .openvpn, cipher: cipher, keyPath: key, faults: faults)
            try body(seed, peers, relay)
        }

        static func stats(_ relay: Daemon) throws -> [String: Int] {
            #expect(relay.stop(signal: SIGTERM, grace: 5), "relay ignored SIGTERM")
            guard let line = relay.log().split(separator: "\n").last(where: { $0.hasPrefix("relay in=") }) else {
                throw HarnessError("relay printed no counters: \(relay.log().tail(5))")
            }
            var out: [String: Int] = [:]
            for field in line.split(separator: " ").dropFirst() {
                let kv = field.split(separator: "=")
                if kv.count == 2 { out[String(kv[0])] = Int(kv[1]) }
            }
            return out
        }

        @Test
        func relayForwardsTunnelTrafficBothWays() throws {
            try Self.withRelay(faults: []) { seed, peers, relay in
                try seed.pingAcrossBothWays()
                try seed.transfer(
                    from: seed.hostA, to: seed.hostB, receiverAddress: SeedLab.hostAddrB, bytes: 1024 * 1024, seed: 5)
                try LogScan.assertClean([peers.a, peers.b])
                let s = try Self.stats(relay)
                #expect((s["in"] ?? 0) > 100 && s["in"] == s["out"], "relay counters: \(s)")
                #expect(s["foreign"] == 0 && s["lost"] == 0, "relay counters: \(s)")
            }
        }

        /// Duplicating every datagram must show up as replay warnings: proves both the relay's fault
        /// injection and that the log scan used by every other test is not vacuous.
        @Test
        func duplicatedPacketsAreReportedByTheLogScan() throws {
            try Self.withRelay(faults: ["--dup", "1.0", "--seed", "7"]) { seed, peers, relay in
                try seed.pingAcrossBothWays()
                let problems = LogScan.problems(in: peers.a.log()) + LogScan.problems(in: peers.b.log())
                #expect(
                    problems.contains { $0.contains("replay") }, "expected replay warnings, got \(problems.prefix(3))")
                let s = try Self.stats(relay)
                #expect((s["dup"] ?? 0) > 0 && s["dup"] == s["in"], "relay counters: \(s)")
            }
        }
    }
}
