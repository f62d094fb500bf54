import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension Paths {
    static var attackScript: String { scriptsLib.appendingPathComponent("udpattack.py").path }
}

extension IntegrationTests {
    /// Real-network faults and attacks against swvpnd (always A) talking to the real openvpn (always B):
    /// loss, reordering, duplication, corruption, garbage floods, replays, spoofed sources, peer and
    /// daemon restarts, OCC exit, ping-restart, link flaps and `float`.
    @Suite(.serialized)
    struct Faults {
        static let cipher = CipherCase.aes256CBCSHA256KeyDirection
        static let attackerAddr = "10.78.0.2"
        static let attackerLinkA = "10.78.0.1"

        // MARK: Fixtures

        static func prepare() throws -> (NetnsLab, SeedLab, String) {
            try Prerequisites.requireBase()
            _ = try Prerequisites.swvpndBinary()
            guard FileManager.default.fileExists(atPath: Paths.attackScript) else {
                throw HarnessError("missing \(Paths.attackScript)")
            }
            let lab = try NetnsLab()
            do {
                let seed = try SeedLab(lab: lab)
                // No IPv6 on the VPN instances: the tun devices then carry only the test's own packets,
                // so their RX counters can be compared exactly.
                for ns in [seed.vpnA, seed.vpnB] {
                    try lab.must(
                        in: ns,
                        [
                            "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
                            "net.ipv6.conf.default.disable_ipv6=1",
                        ])
                }
                return (lab, seed, try seed.generateKey())
            } catch {
                lab.teardown()
                throw error
            }
        }

        /// A third namespace wired to vpn1 (10.78.0.2 <-> 10.78.0.1) that also owns B's underlay address
        /// 10.77.0.2, so it can send datagrams whose source is exactly B's (vpn1 runs without rp_filter).
        static func addAttacker(_ seed: SeedLab) throws -> String {
            let lab = seed.lab
            let atk = try lab.addNamespace("atk")
            try lab.link(seed.vpnA, "atk0", "\(attackerLinkA)/24", atk, "eth0", "\(attackerAddr)/24")
            try Shell.must(["ip", "-n", atk, "addr", "add", "\(SeedLab.underlayB)/32", "dev", "eth0"])
            try Shell.must(["ip", "-n", atk, "route", "add", "\(SeedLab.underlayA)/32", "via", attackerLinkA])
            try lab.must(
                in: seed.vpnA,
                [
                    "sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=0",
                    "net.ipv4.conf.atk0.rp_filter=0",
                ])
            return atk
        }

        /// swvpnd A reaches openvpn B only through the relay in vpn1:
        /// A (0.0.0.0:1194) <-> relay 127.0.0.1:2000 | relay 10.77.0.1:1300 <-> B (10.77.0.2:1194).
        static func withRelay(
            faults: [String], cipher: CipherCase = cipher, extra: [String] = [],
            _ body: (SeedLab, (a: Daemon, b: Daemon), Daemon) throws -> Void
        ) throws {
            let (lab, seed, key) = try prepare()
            defer { lab.teardown() }
            let (peers, relay) = try seed.startRelayedPair(
                a: .swvpnd, cipher: cipher, keyPath: key, faults: faults, extra: extra, timeout: 30)
            try body(seed, peers, relay)
        }

        // MARK: Observations

        /// Resident set of a process we started, in KiB.
        static func rssKiB(_ d: Daemon) throws -> Int {
            let status = try String(contentsOfFile: "/proc/\(d.pid)/status", encoding: .utf8)
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
                let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
            else { throw HarnessError("no VmRSS for pid \(d.pid)") }
            return kib
        }

        /// Packets the kernel received on the (single) tun device in `ns`: what swvpnd wrote to it.
        static func tunRxPackets(_ ns: String) throws -> Int {
            let json = try Shell.must(["ip", "-n", ns, "-j", "-s", "link", "show", "type", "tun"])
            guard let list = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]],
                list.count == 1, let stats = list[0]["stats64"] as? [String: Any],
                let rx = stats["rx"] as? [String: Any], let packets = rx["packets"] as? Int
            else { throw HarnessError("expected one tun device with counters in \(ns): \(json)") }
            return packets
        }

        /// swvpnd's rate-limited drop summaries ("dropped 37 packets in the last 10 s: 30 replayed, 7 bad HMAC").
        static func dropSummaries(_ log: String) -> [String] {
            log.split(separator: "\n").map(String.init).filter { $0.contains("packets in the last 10 s:") }
        }

        /// Sum per cause over all drop summaries.
        static func dropTotals(_ log: String) -> [String: Int] {
            var totals: [String: Int] = [:]
            for line in dropSummaries(log) {
                guard let colon = line.range(of: "in the last 10 s: ") else { continue }
                for part in line[colon.upperBound...].split(separator: ",") {
                    let words = part.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
                    if words.count == 2, let n = Int(words[0]) { totals[String(words[1]), default: 0] += n }
                }
            }
            return totals
        }

        /// Polls swvpnd's log until `cause` has been summarised at least `atLeast` times (summaries come
        /// every 10 s, so the timeout is generous).
        @discardableResult
        static func waitForDrops(_ d: Daemon, _ cause: String, atLeast: Int = 1, timeout: Double = 30) throws -> Int {
            let deadline = Date().addingTimeInterval(timeout)
            while true {
                let n = dropTotals(d.log())[cause] ?? 0
                if n >= atLeast { return n }
                guard d.isRunning else { throw HarnessError("\(d.label) died: \(d.log().tail(30))") }
                if Date() >= deadline {
                    throw HarnessError(
                        "\(d.label) summarised \(n) '\(cause)' drops, expected >= \(atLeast); summaries:\n"
                            + dropSummaries(d.log()).suffix(5).joined(separator: "\n"))
                }
                usleep(200_000)
            }
        }

        /// openvpn's own per-packet HMAC failure message.
        static func hmacErrors(_ d: Daemon) -> [String] {
            d.log().split(separator: "\n").map(String.init).filter { $0.contains("HMAC authentication failed") }
        }

        /// LogScan's findings minus swvpnd's own drop summaries (which legitimately say "replayed").
        static func problemsBesidesSummaries(_ d: Daemon) -> [String] {
            LogScan.problems(in: d.log()).filter { !$0.contains("packets in the last 10 s:") }
        }

        static func lineCount(_ d: Daemon) -> Int { d.log().split(separator: "\n").count }

        static func pingRun(_ seed: SeedLab, from ns: String, to address: String, count: Int, deadline: Int)
            throws -> CommandResult
        {
            try seed.lab.run(
                in: ns, ["ping", "-n", "-c", "\(count)", "-i", "0.2", "-W", "1", "-w", "\(deadline)", address],
                timeout: Double(deadline + 5))
        }

        static func received(_ ping: CommandResult) -> Int {
            guard let m = ping.stdout.firstMatch(of: #/(\d+) received/#) else { return 0 }
            return Int(m.1) ?? 0
        }

        // MARK: 1. Loss, reordering, duplication

        enum RelayFault: String, CaseIterable, Sendable, CustomStringConvertible {
            case loss5Percent, reorder, duplicate
            var description: String { rawValue }
            var relayArgs: [String] {
                switch self {
                case .loss5Percent: ["--loss", "0.05", "--seed", "11"]
                case .reorder: ["--reorder", "0.3", "--seed", "12"]
                case .duplicate: ["--dup", "0.5", "--seed", "13"]
                }
            }
            /// The BF-CBC (64-bit block, legacy provider) case rides on the reordering run.
            var cipher: CipherCase { self == .reorder ? .defaultBFCBCLegacy : .aes256CBCSHA256KeyDirection }
        }

        @Test(arguments: RelayFault.allCases)
        func verifiedTransferCompletesOverFaultyLink(_ fault: RelayFault) throws {
            try Self.withRelay(faults: fault.relayArgs, cipher: fault.cipher) { seed, peers, relay in
                try seed.transfer(
                    from: seed.hostA, to: seed.hostB, receiverAddress: SeedLab.hostAddrB, bytes: 1024 * 1024, seed: 21)
                try seed.transfer(
                    from: seed.hostB, to: seed.hostA, receiverAddress: SeedLab.hostAddrA, bytes: 1024 * 1024, seed: 22)
                if fault == .duplicate {
                    // Every reply reaches hostB exactly once, though the relay doubled half the datagrams.
                    let ping = try Self.pingRun(seed, from: seed.hostB, to: SeedLab.hostAddrA, count: 20, deadline: 20)
                    #expect(ping.succeeded, "ping through the duplicating relay failed: \(ping.summary)")
                    #expect(!ping.stdout.contains("DUP!"), "a duplicate reached the TUN:\n\(ping.stdout.tail(25))")
                    try Self.waitForDrops(peers.a, "replayed")
                } else {
                    let totals = Self.dropTotals(peers.a.log())
                    #expect(totals["replayed"] == nil, "in-window reordering/loss must not count as replay: \(totals)")
                    #expect(
                        Self.problemsBesidesSummaries(peers.a).isEmpty,
                        "swvpnd log: \(Self.problemsBesidesSummaries(peers.a).prefix(5))")
                }
                #expect(peers.a.isRunning && peers.b.isRunning, "a peer died")
                #expect(Self.hmacErrors(peers.b).isEmpty, "openvpn HMAC errors: \(Self.hmacErrors(peers.b).prefix(3))")
                #expect(!peers.a.log().contains("bad HMAC"), "swvpnd saw bad HMACs on an uncorrupted link")
                let s = try Relay.stats(relay)
                switch fault {
                case .loss5Percent: #expect((s["lost"] ?? 0) > 0, "relay counters: \(s)")
                case .reorder: #expect((s["reordered"] ?? 0) > 0, "relay counters: \(s)")
                case .duplicate: #expect((s["dup"] ?? 0) > 0, "relay counters: \(s)")
                }
            }
        }

        // MARK: 2. Corruption

        @Test
        func corruptedPacketsAreDroppedBeforeDecryptWithoutGrowingMemory() throws {
            // Only datagrams towards swvpnd are corrupted, so the relay's count is exactly swvpnd's to drop.
            let faults = ["--corrupt", "0.3", "--fault-dir", "to-a", "--seed", "31"]
            try Self.withRelay(faults: faults) { seed, peers, relay in
                let blast = { (count: Int) throws in
                    try seed.lab.must(
                        in: seed.hostB,
                        [
                            "python3", Paths.attackScript, "blast", "--target", "\(SeedLab.hostAddrA):9",
                            "--count", "\(count)", "--size", "1200",
                        ], timeout: 120)
                }
                try blast(2000)  // warm-up: buffers, Dispatch threads, summaries all exist now
                let rssBefore = try Self.rssKiB(peers.a)
                let linesBefore = Self.lineCount(peers.a)
                try blast(20000)
                let rssAfter = try Self.rssKiB(peers.a)
                #expect(peers.a.isRunning, "swvpnd died under corrupted traffic:\n\(peers.a.log().tail(20))")
                #expect(rssAfter - rssBefore < 8 * 1024, "VmRSS grew from \(rssBefore) to \(rssAfter) KiB")

                let s = try Relay.stats(relay)
                let corrupted = s["corrupt"] ?? 0
                #expect(corrupted > 3000, "relay counters: \(s)")
                let dropped = (try? Self.waitForDrops(peers.a, "bad HMAC", atLeast: corrupted)) ?? 0
                let totals = Self.dropTotals(peers.a.log())
                // A packet the kernel overflowed never reached swvpnd, so allow a few short.
                #expect(
                    dropped <= corrupted && dropped >= corrupted * 98 / 100,
                    "relay corrupted \(corrupted), swvpnd dropped \(totals)")
                #expect(
                    totals["undecryptable"] == nil && totals["bad framing"] == nil,
                    "corrupted packets got past the HMAC check: \(totals)")
                let added = Self.lineCount(peers.a) - linesBefore
                #expect(added < 40, "swvpnd logged \(added) lines for a corrupted burst (expected summaries only)")
                #expect(
                    Self.problemsBesidesSummaries(peers.a).isEmpty,
                    "swvpnd log: \(Self.problemsBesidesSummaries(peers.a).prefix(5))")
            }
        }

        // MARK: 3. Garbage and attack traffic

        /// Garbage, replays and spoofed floods never reach A's TUN; nor do the captured packets replayed
        /// right after A restarts as systemd restarts it (a new process with `$STATE_DIRECTORY` set by
        /// `StateDirectory=`, no `replay-persist`): the replay state kept there by default rejects them.
        @Test
        func garbageReplayAndSpoofedFloodNeverReachTheTUN() throws {
            let (lab, seed, key) = try Self.prepare()
            defer { lab.teardown() }
            let atk = try Self.addAttacker(seed)
            let stateDirectory = lab.path("state")
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
            let configA = try lab.write("tunnel-a.conf", seed.config(side: .a, cipher: Self.cipher, keyPath: key))
            let startA = { (label: String) throws -> Daemon in
                try lab.spawn(
                    in: seed.vpnA, label: label,
                    ["env", "STATE_DIRECTORY=\(stateDirectory)", try Prerequisites.swvpndBinary(), "--config", configA])
            }
            let b = try seed.startPeer(
                .openvpn, side: .b, config: seed.config(side: .b, cipher: Self.cipher, keyPath: key))
            let a = try startA("swvpnd-A")
            let peers = (a: a, b: b)
            try seed.waitUp([peers.a, peers.b])

            // Real B -> A packets, sniffed as they arrive at vpn1.
            let capturePath = lab.path("captured.hex")
            let capture = try lab.spawn(
                in: seed.vpnA, label: "capture",
                [
                    "python3", Paths.attackScript, "capture", "--iface", "inet0", "--src", SeedLab.underlayB,
                    "--sport", "1194", "--dport", "1194", "--count", "6", "--out", capturePath,
                ])
            try capture.waitForLog("capturing", timeout: 10)
            try seed.pingAcrossBothWays()  // B sends 3 requests and 3 replies
            #expect(
                capture.waitForExit(timeout: 20) && capture.process.terminationStatus == 0,
                "capture failed: \(capture.log().tail(5))")
            let captured = (try String(contentsOfFile: capturePath, encoding: .utf8)).split(separator: "\n").count
            #expect(captured == 6, "captured \(captured) packets")

            let rxBefore = try Self.tunRxPackets(seed.vpnA)
            let rssBefore = try Self.rssKiB(peers.a)
            let linesBefore = Self.lineCount(peers.a)
            let target = "\(SeedLab.underlayA):1194"
            // Spoofed: exactly B's address and port, so the packets pass the source check and meet the HMAC.
            let spoofed = try lab.spawn(
                in: atk, label: "flood-spoofed",
                [
                    "python3", Paths.attackScript, "flood", "--target", target, "--bind", "\(SeedLab.underlayB):1194",
                    "--captured", capturePath, "--rounds", "4", "--seed", "41",
                ])
            // The tunnel keeps working during the flood.
            let during = try Self.pingRun(seed, from: seed.hostA, to: SeedLab.hostAddrB, count: 10, deadline: 30)
            #expect(spoofed.waitForExit(timeout: 120), "spoofed flood did not finish")
            // Wrong source: the attacker's own address.
            let wrong = try lab.run(
                in: atk,
                [
                    "python3", Paths.attackScript, "flood", "--target", target, "--bind", "\(Self.attackerAddr):1194",
                    "--captured", capturePath, "--rounds", "1", "--seed", "42",
                ], timeout: 120)
            #expect(wrong.succeeded, "wrong-source flood: \(wrong.summary)")
            let rxAfter = try Self.tunRxPackets(seed.vpnA)
            let rssAfter = try Self.rssKiB(peers.a)

            #expect(during.succeeded, "ping through the tunnel failed during the flood: \(during.summary)")
            #expect(
                rxAfter - rxBefore == Self.received(during),
                "tun on A received \(rxAfter - rxBefore) packets; only the \(Self.received(during)) echo replies were legitimate"
            )
            #expect(peers.a.isRunning, "swvpnd died under the flood:\n\(peers.a.log().tail(20))")
            #expect(rssAfter - rssBefore < 16 * 1024, "VmRSS grew from \(rssBefore) to \(rssAfter) KiB")
            try Self.waitForDrops(peers.a, "bad HMAC", atLeast: 4 * 2001 / 2)
            // Each verbatim copy of a captured packet is a replay (4 rounds); nothing else is.
            let replayed = try Self.waitForDrops(peers.a, "replayed", atLeast: 4 * captured)
            #expect(replayed == 4 * captured, "replayed drops \(replayed), expected \(4 * captured)")
            try Self.waitForDrops(peers.a, "wrong source", atLeast: 2001)
            let added = Self.lineCount(peers.a) - linesBefore
            #expect(added < 40, "swvpnd logged \(added) lines during the flood (expected summaries only)")
            #expect(!peers.a.log().contains("Peer moved"), "garbage moved the peer")

            try seed.pingAcrossBothWays()
            #expect(
                Self.problemsBesidesSummaries(peers.a).isEmpty,
                "swvpnd log: \(Self.problemsBesidesSummaries(peers.a).prefix(5))")

            // A restarts; the captured packets come back before B sends anything new. Without the saved
            // mark the new window is empty and all of them would be delivered.
            #expect(peers.a.stop(signal: SIGTERM, grace: 5))
            let a2 = try startA("swvpnd-A-restarted")
            try a2.waitForLog("replay-persist \(stateDirectory)/tunnel-a.replay: starting above time", timeout: 20)
            try a2.waitForLog("Data Channel:", timeout: 20)
            let replay = try lab.run(
                in: atk,
                [
                    "python3", Paths.attackScript, "replay", "--target", target, "--bind", "\(SeedLab.underlayB):1194",
                    "--captured", capturePath,
                ], timeout: 30)
            #expect(replay.succeeded, "replay: \(replay.summary)")
            let afterRestart = try Self.waitForDrops(a2, "replayed", atLeast: captured)
            #expect(afterRestart == captured, "replayed drops after the restart \(afterRestart), expected \(captured)")
            #expect(try Self.tunRxPackets(seed.vpnA) == 0, "a captured packet reached the restarted swvpnd's TUN")
            #expect(a2.isRunning)
            #expect(
                Self.problemsBesidesSummaries(a2).isEmpty, "swvpnd log: \(Self.problemsBesidesSummaries(a2).prefix(5))")
        }

        // MARK: 4. Restarts, OCC exit, ping-restart

        @Test
        func trafficResumesAfterPeerRestartDaemonRestartAndSIGUSR1() throws {
            let (lab, seed, key) = try Self.prepare()
            defer { lab.teardown() }
            let extra = ["keepalive 2 20"]
            let configA = seed.config(side: .a, cipher: Self.cipher, keyPath: key, extra: extra)
            let configB = seed.config(side: .b, cipher: Self.cipher, keyPath: key, extra: extra)
            let peers = try seed.startTunnel(a: .swvpnd, b: .openvpn, cipher: Self.cipher, keyPath: key, extra: extra)
            try seed.pingAcrossBothWays()

            // openvpn B restarts: its new session (newer timestamp, packet-id 1) is accepted by the same swvpnd.
            #expect(peers.b.stop(signal: SIGTERM, grace: 5))
            usleep(1_500_000)
            let b2 = try seed.startPeer(.openvpn, side: .b, config: configB, name: "openvpn-B-2")
            try seed.waitUp([b2])
            try seed.ping(from: seed.hostA, to: SeedLab.hostAddrB, deadline: 15)
            try seed.ping(from: seed.hostB, to: SeedLab.hostAddrA, deadline: 15)
            #expect(peers.a.isRunning && !peers.a.log().contains("SIGUSR1"), "swvpnd restarted for a peer restart")

            // swvpnd A restarts: openvpn B's replay window takes the newer timestamp.
            #expect(peers.a.stop(signal: SIGTERM, grace: 5))
            usleep(1_500_000)
            let a2 = try seed.startPeer(.swvpnd, side: .a, config: configA, name: "swvpnd-A-2")
            try a2.waitForLog("Initialization Sequence Completed", timeout: 20)
            try seed.ping(from: seed.hostA, to: SeedLab.hostAddrB, deadline: 15)
            try seed.ping(from: seed.hostB, to: SeedLab.hostAddrA, deadline: 15)

            // SIGUSR1: soft restart with a new session on the same device.
            usleep(1_100_000)
            kill(a2.pid, SIGUSR1)
            try a2.waitForLog("SIGUSR1[hard,] received", timeout: 10)
            try seed.ping(from: seed.hostA, to: SeedLab.hostAddrB, deadline: 15)
            try seed.ping(from: seed.hostB, to: SeedLab.hostAddrA, deadline: 15)

            // Two soft restarts in quick succession, with a packet in between: the second session must still
            // get a newer time than the first, or B's replay window drops everything after it.
            kill(a2.pid, SIGUSR1)
            _ = try lab.run(in: seed.vpnA, ["ping", "-n", "-c", "1", "-W", "1", SeedLab.tunnelB], timeout: 5)
            kill(a2.pid, SIGUSR1)
            let deadline = Date().addingTimeInterval(10)
            while a2.log().components(separatedBy: "SIGUSR1[hard,] received").count < 4 && Date() < deadline {
                usleep(50_000)
            }
            try seed.ping(from: seed.hostA, to: SeedLab.hostAddrB, deadline: 15)
            try seed.ping(from: seed.hostB, to: SeedLab.hostAddrA, deadline: 15)
            #expect(a2.isRunning && b2.isRunning)
            #expect(Self.hmacErrors(b2).isEmpty, "openvpn HMAC errors: \(Self.hmacErrors(b2).prefix(3))")
            try LogScan.assertClean([peers.a, a2, b2])
        }

        @Test
        func occExitAndPingRestartRestartTheSessionAndTrafficRecovers() throws {
            let (lab, seed, key) = try Self.prepare()
            defer { lab.teardown() }
            let extraB = ["keepalive 1 5", "explicit-exit-notify 1"]
            let configB = seed.config(side: .b, cipher: Self.cipher, keyPath: key, extra: extraB)
            let b = try seed.startPeer(.openvpn, side: .b, config: configB)
            let a = try seed.startPeer(
                .swvpnd, side: .a,
                config: seed.config(side: .a, cipher: Self.cipher, keyPath: key, extra: ["keepalive 1 5"]))
            try seed.waitUp([a, b])
            try seed.pingAcrossBothWays()

            // OCC_EXIT: openvpn B says goodbye on SIGTERM; swvpnd restarts its session at once.
            #expect(b.stop(signal: SIGTERM, grace: 8))
            try a.waitForLog("OCC exit message received by peer", timeout: 10)
            try a.waitForLog("SIGUSR1[soft,remote-exit]", timeout: 10)
            let b2 = try seed.startPeer(.openvpn, side: .b, config: configB, name: "openvpn-B-2")
            try seed.waitUp([b2])
            try seed.ping(from: seed.hostA, to: SeedLab.hostAddrB, deadline: 15)
            try seed.ping(from: seed.hostB, to: SeedLab.hostAddrA, deadline: 15)

            // B vanishes without a word: ping-restart (5 s) fires, and the tunnel recovers when B returns.
            b2.stop(signal: SIGKILL, grace: 5)
            try a.waitForLog("Inactivity timeout (--ping-restart)", timeout: 30)
            try a.waitForLog("SIGUSR1[soft,ping-restart]", timeout: 5)
            let b3 = try seed.startPeer(.openvpn, side: .b, config: configB, name: "openvpn-B-3")
            try seed.waitUp([b3])
            try seed.ping(from: seed.hostA, to: SeedLab.hostAddrB, deadline: 15)
            try seed.ping(from: seed.hostB, to: SeedLab.hostAddrA, deadline: 15)
            #expect(a.isRunning, "swvpnd must survive both restarts in-process")
            try LogScan.assertClean([a, b3])
        }

        // MARK: 5. Link flap and float

        @Test
        func trafficResumesByItselfAfterLinkFlap() throws {
            let (lab, seed, key) = try Self.prepare()
            defer { lab.teardown() }
            let peers = try seed.startTunnel(
                a: .swvpnd, b: .openvpn, cipher: Self.cipher, keyPath: key, extra: ["keepalive 1 30"])
            try seed.pingAcrossBothWays()
            let linesBefore = Self.lineCount(peers.a)
            // Traffic keeps arriving at A's TUN while its underlay is down, so sends fail meanwhile.
            let pinger = try lab.spawn(
                in: seed.hostA, label: "ping-during-flap",
                ["ping", "-n", "-c", "40", "-i", "0.1", "-W", "1", SeedLab.hostAddrB])
            try Shell.must(["ip", "-n", seed.vpnA, "link", "set", "inet0", "down"])
            usleep(4_000_000)
            try Shell.must(["ip", "-n", seed.vpnA, "link", "set", "inet0", "up"])
            _ = pinger.waitForExit(timeout: 30)
            try seed.ping(from: seed.hostA, to: SeedLab.hostAddrB, deadline: 20)
            try seed.ping(from: seed.hostB, to: SeedLab.hostAddrA, deadline: 20)
            #expect(peers.a.isRunning && peers.b.isRunning)
            let added = Self.lineCount(peers.a) - linesBefore
            #expect(added < 40, "swvpnd logged \(added) lines during a 4 s link flap:\n\(peers.a.log().tail(15))")
            #expect(!peers.a.log().contains("SIGUSR1"), "a short flap must not restart the session")
        }

        /// B comes back from another source port (`lport 1195`). With `float` swvpnd follows it, but only
        /// once an authenticated packet arrives from there (garbage from a new address moves nothing);
        /// without `float` the new source is rejected before any crypto.
        @Test(arguments: [true, false])
        func newPeerSourceIsFollowedOnlyWithFloatAndOnlyWhenAuthenticated(_ float: Bool) throws {
            let (lab, seed, key) = try Self.prepare()
            defer { lab.teardown() }
            let atk = try Self.addAttacker(seed)
            let extraA = ["keepalive 1 60"] + (float ? ["float"] : [])
            let extraB = ["keepalive 1 60"]
            let b = try seed.startPeer(
                .openvpn, side: .b, config: seed.config(side: .b, cipher: Self.cipher, keyPath: key, extra: extraB))
            let a = try seed.startPeer(
                .swvpnd, side: .a, config: seed.config(side: .a, cipher: Self.cipher, keyPath: key, extra: extraA))
            try seed.waitUp([a, b])
            try seed.pingAcrossBothWays()

            // Unauthenticated packets from new addresses: B's address with a new port, and a foreign address.
            for bind in ["\(SeedLab.underlayB):1195", "\(Self.attackerAddr):1194"] {
                try lab.must(
                    in: atk,
                    [
                        "python3", Paths.attackScript, "flood", "--target", "\(SeedLab.underlayA):1194",
                        "--bind", bind, "--min-len", "0", "--max-len", "300", "--seed", "51",
                    ], timeout: 60)
            }
            try seed.pingAcrossBothWays()
            #expect(!a.log().contains("Peer moved"), "unauthenticated packets moved the peer:\n\(a.log().tail(10))")

            #expect(b.stop(signal: SIGTERM, grace: 5))
            usleep(1_500_000)
            let b2 = try seed.startPeer(
                .openvpn, side: .b,
                config: seed.config(side: .b, cipher: Self.cipher, keyPath: key, extra: extraB + ["lport 1195"]),
                name: "openvpn-B-lport1195")
            if float {
                try a.waitForLog("Peer moved to [AF_INET]\(SeedLab.underlayB):1195", timeout: 20)
                try seed.waitUp([b2])
                try seed.ping(from: seed.hostA, to: SeedLab.hostAddrB, deadline: 15)
                try seed.ping(from: seed.hostB, to: SeedLab.hostAddrA, deadline: 15)
                #expect(Self.hmacErrors(b2).isEmpty)
                try LogScan.assertClean([b2])
            } else {
                let ping = try Self.pingRun(seed, from: seed.hostB, to: SeedLab.hostAddrA, count: 3, deadline: 4)
                #expect(Self.received(ping) == 0, "without float, B's new source port must be rejected")
                try Self.waitForDrops(a, "wrong source")
                #expect(!a.log().contains("Peer moved"))
            }
            #expect(a.isRunning)
            #expect(
                Self.problemsBesidesSummaries(a).isEmpty, "swvpnd log: \(Self.problemsBesidesSummaries(a).prefix(5))")
        }
    }
}
