import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension IntegrationTests {
    /// Peer restarts, clean shutdown, several tunnels per host, key generation. Each case runs with
    /// openvpn on A as the harness self-check and with swvpnd on A as the real test; B is always openvpn.
    @Suite(.serialized)
    struct Lifecycle {
        static let cipher = CipherCase.aes256CBCSHA256KeyDirection

        static func prepare(_ impl: Implementation) throws -> (NetnsLab, SeedLab, String) {
            try Prerequisites.requireBase()
            if impl == .swvpnd { _ = try Prerequisites.swvpndBinary() }
            let lab = try NetnsLab()
            do {
                let seed = try SeedLab(lab: lab)
                return (lab, seed, try seed.generateKey())
            } catch {
                lab.teardown()
                throw error
            }
        }

        /// openvpn B restarts its session (packet-id back to 1, newer timestamp); A keeps running and must
        /// accept the new session without a restart of its own.
        @Test(arguments: Implementation.allCases)
        func trafficResumesAfterPeerRestartsWithoutRestartingA(_ implA: Implementation) throws {
            let (lab, seed, key) = try Self.prepare(implA)
            defer { lab.teardown() }
            let extra = ["keepalive 2 10"]
            let peers = try seed.startTunnel(a: implA, b: .openvpn, cipher: Self.cipher, keyPath: key, extra: extra)
            try seed.pingAcrossBothWays()
            let pidA = peers.a.pid

            #expect(peers.b.stop(signal: SIGTERM, grace: 5), "openvpn B ignored SIGTERM")
            // The restarted peer's timestamp must be strictly newer, or its packet-id 1 is a replay.
            usleep(1_500_000)
            let b2 = try seed.startPeer(
                .openvpn, side: .b, config: seed.config(side: .b, cipher: Self.cipher, keyPath: key, extra: extra),
                name: "openvpn-B-restarted")
            try seed.waitUp([b2])
            try seed.ping(from: seed.hostA, to: SeedLab.hostAddrB, deadline: 15)
            try seed.ping(from: seed.hostB, to: SeedLab.hostAddrA, deadline: 15)

            #expect(peers.a.isRunning && peers.a.pid == pidA, "A must keep running across the peer restart")
            let logA = peers.a.log()
            for restartSign in ["Inactivity timeout", "SIGUSR1", "Restart pause"] {
                #expect(!logA.contains(restartSign), "A restarted its session: found '\(restartSign)'")
            }
            try LogScan.assertClean([peers.a, b2])
        }

        /// SIGTERM ends the daemon promptly and it leaves no route, tun device or process behind.
        @Test(arguments: Implementation.allCases)
        func sigtermRemovesRouteTunDeviceAndProcess(_ implA: Implementation) throws {
            let (lab, seed, key) = try Self.prepare(implA)
            defer { lab.teardown() }
            let peers = try seed.startTunnel(a: implA, b: .openvpn, cipher: Self.cipher, keyPath: key)
            try seed.pingAcrossBothWays()
            #expect(try seed.tunDevices(in: seed.vpnA).count == 1)

            let exitedInTime = peers.a.stop(signal: SIGTERM, grace: 5)
            #expect(exitedInTime, "\(implA) did not exit within 5 s of SIGTERM")
            #expect(!peers.a.isRunning)
            #expect(peers.a.process.terminationReason == .exit, "\(implA) was killed by a signal instead of exiting")
            #expect(peers.a.process.terminationStatus == 0, "\(implA) exit status \(peers.a.process.terminationStatus)")
            #expect(kill(peers.a.pid, 0) != 0, "pid \(peers.a.pid) still exists")

            let tuns = try seed.tunDevices(in: seed.vpnA)
            #expect(tuns.isEmpty, "tun devices left behind: \(tuns.map(\.name))")
            let routes = try Shell.must(["ip", "-n", seed.vpnA, "route", "show"])
            #expect(!routes.contains("172.16.0.0/16"), "route left behind:\n\(routes)")
            #expect(!routes.contains("169.254.255"), "tunnel route left behind:\n\(routes)")
            try LogScan.assertClean([peers.a])
        }

        /// The seed's "more VPCs" setup: one config per tunnel, each on its own port, all running at once.
        @Test(arguments: Implementation.allCases)
        func secondTunnelOnPort1195WorksAlongsideTheFirst(_ implA: Implementation) throws {
            let (lab, seed, key) = try Self.prepare(implA)
            defer { lab.teardown() }
            let first = try seed.startTunnel(a: implA, b: .openvpn, cipher: Self.cipher, keyPath: key)
            let pair2 = ("169.254.254.1", "169.254.254.2")
            let b2 = try seed.startPeer(
                .openvpn, side: .b,
                config: seed.config(
                    side: .b, cipher: Self.cipher, keyPath: key, port: 1195, ifconfig: (pair2.1, pair2.0), route: false),
                name: "openvpn-B-1195")
            let a2 = try seed.startPeer(
                implA, side: .a,
                config: seed.config(
                    side: .a, cipher: Self.cipher, keyPath: key, port: 1195, ifconfig: (pair2.0, pair2.1), route: false),
                name: "\(implA)-A-1195")
            try seed.waitUp([a2, b2])

            #expect(try seed.tunDevices(in: seed.vpnA).count == 2)
            try seed.pingAcrossBothWays()
            try seed.ping(from: seed.vpnA, to: pair2.1)
            try seed.ping(from: seed.vpnB, to: pair2.0)
            try seed.transfer(
                from: seed.hostA, to: seed.hostB, receiverAddress: SeedLab.hostAddrB, bytes: 2 * 1024 * 1024, seed: 3)
            #expect(first.a.isRunning && first.b.isRunning && a2.isRunning && b2.isRunning)
            try LogScan.assertClean([first.a, first.b, a2, b2])
        }

        /// `swvpnd --genkey --secret FILE` writes a key file the real openvpn uses on both ends.
        @Test
        func swvpndGenkeyWritesAKeyOpenvpnUses() throws {
            try Prerequisites.requireBase()
            let bin = try Prerequisites.swvpndBinary()
            let lab = try NetnsLab()
            defer { lab.teardown() }
            let keyPath = lab.path("swvpnd.key")
            let r = try Shell.run([bin, "--genkey", "--secret", keyPath], timeout: 10)
            guard r.succeeded else { throw HarnessError("swvpnd --genkey failed: \(r.summary)") }
            guard let text = try? String(contentsOfFile: keyPath, encoding: .utf8) else {
                throw HarnessError("swvpnd --genkey --secret \(keyPath) exited 0 but wrote no readable key file")
            }
            #expect(text.contains("-----BEGIN OpenVPN Static key V1-----"))
            #expect(text.contains("-----END OpenVPN Static key V1-----"))
            #expect(text.utf8.count == 636, "openvpn's key files are 636 bytes; got \(text.utf8.count)")
            let attrs = try FileManager.default.attributesOfItem(atPath: keyPath)
            #expect((attrs[.posixPermissions] as? Int) == 0o600, "key file must be mode 0600")
            #expect(!r.stdout.contains(text.split(separator: "\n")[4]), "key material printed to stdout")

            let seed = try SeedLab(lab: lab)
            let peers = try seed.startTunnel(a: .openvpn, b: .openvpn, cipher: Self.cipher, keyPath: keyPath)
            try seed.pingAcrossBothWays()
            try LogScan.assertClean([peers.a, peers.b])
        }
    }
}
