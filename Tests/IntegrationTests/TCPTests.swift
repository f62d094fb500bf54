import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension IntegrationTests {
    /// `proto tcp-server`/`tcp-client` (PROTOCOL.md §5): records over one TCP connection, interop with the
    /// real openvpn in both roles, and a server that survives its client going away.
    @Suite(.serialized)
    struct TCPTests {
        static let cipher = CipherCase.aes256CBCSHA256KeyDirection

        /// B (10.77.0.2) is the tcp-server and accepts only A's IP (its `remote`); A is the tcp-client.
        static func clientConfig(_ seed: SeedLab, key: String) -> String {
            seed.config(side: .a, cipher: cipher, keyPath: key, extra: ["proto tcp-client"])
        }

        /// `handshakeSeconds`: the swvpnd server's handshake deadline (`SWVPND_TCP_HANDSHAKE_SECONDS`).
        static func startTunnel(
            _ seed: SeedLab, key: String, server: Implementation, client: Implementation, handshakeSeconds: Int? = nil
        ) throws -> (a: Daemon, b: Daemon) {
            let serverConfig = seed.config(side: .b, cipher: cipher, keyPath: key, extra: ["proto tcp-server"])
            let b: Daemon
            if let handshakeSeconds, server == .swvpnd {
                let path = try seed.lab.write("swvpnd-B.conf", serverConfig)
                b = try seed.lab.spawn(
                    in: seed.vpnB, label: "swvpnd-B",
                    [
                        "env", "SWVPND_TCP_HANDSHAKE_SECONDS=\(handshakeSeconds)", try Prerequisites.swvpndBinary(),
                        "--config", path,
                    ])
            } else {
                b = try seed.startPeer(server, side: .b, config: serverConfig)
            }
            try b.waitForLog("Listening for incoming TCP connection", timeout: 15)
            let a = try seed.startPeer(client, side: .a, config: clientConfig(seed, key: key))
            try seed.waitUp([a, b], timeout: 30)
            return (a, b)
        }

        /// Waits until `needle` occurs at least `count` times in the daemon's log.
        static func waitForOccurrences(_ daemon: Daemon, _ needle: String, count: Int, timeout: Double) throws {
            let deadline = Date().addingTimeInterval(timeout)
            while daemon.log().components(separatedBy: needle).count - 1 < count {
                guard daemon.isRunning else {
                    throw HarnessError(
                        "\(daemon.label) exited waiting for '\(needle)' ×\(count): \(daemon.log().tail(15))")
                }
                guard Date() < deadline else {
                    throw HarnessError(
                        "\(daemon.label): '\(needle)' not seen \(count) times in \(timeout) s: \(daemon.log().tail(15))"
                    )
                }
                usleep(100_000)
            }
        }

        /// The seed check over TCP: ping both ways, 20 MiB verified each way, routes via the tunnel,
        /// clean logs, and both ends report the TCP connection.
        static func runCase(server: Implementation, client: Implementation) throws {
            try Prerequisites.requireBase()
            _ = try Prerequisites.swvpndBinary()
            let lab = try NetnsLab()
            defer { lab.teardown() }
            let seed = try SeedLab(lab: lab)
            let key = try seed.generateKey()
            let peers = try startTunnel(seed, key: key, server: server, client: client)
            for p in [peers.a, peers.b] {
                #expect(
                    p.log().contains("TCP connection established with [AF_INET]"), "\(p.label): \(p.log().tail(20))")
            }
            try seed.assertCarriesVerifiedTraffic(peers)
        }

        @Test
        func swvpndTCPServerInteroperatesWithOpenvpnTCPClient() throws {
            try Self.runCase(server: .swvpnd, client: .openvpn)
        }

        @Test
        func swvpndTCPClientInteroperatesWithOpenvpnTCPServer() throws {
            try Self.runCase(server: .openvpn, client: .swvpnd)
        }

        @Test
        func swvpndTCPServerInteroperatesWithSwvpndTCPClient() throws {
            try Self.runCase(server: .swvpnd, client: .swvpnd)
        }

        /// The openvpn client is killed (its kernel closes the connection) and started again: the
        /// swvpnd server restarts its session, accepts the new connection and traffic flows again.
        /// Before the real client comes back, a client from the allowed address connects and says
        /// nothing: it holds the server's one slot only until the handshake deadline (4 s here, 60 s
        /// by default), then the real client's connection, waiting in the backlog meanwhile, is served.
        @Test
        func swvpndTCPServerAcceptsReconnectingOpenvpnClient() throws {
            try Prerequisites.requireBase()
            _ = try Prerequisites.swvpndBinary()
            let lab = try NetnsLab(owner: "tcp")
            defer { lab.teardown() }
            let seed = try SeedLab(lab: lab)
            let key = try seed.generateKey()
            let peers = try Self.startTunnel(seed, key: key, server: .swvpnd, client: .openvpn, handshakeSeconds: 4)
            try seed.pingAcrossBothWays()

            #expect(peers.a.stop(signal: SIGKILL, grace: 5), "openvpn client did not die")
            try peers.b.waitForLog("Connection reset, restarting", timeout: 15)
            try peers.b.waitForLog("SIGUSR1[soft,connection-reset] received, process restarting", timeout: 5)

            let silent = try lab.spawn(
                in: seed.vpnA, label: "silent-client",
                [
                    "python3", "-c",
                    "import socket,time; s=socket.create_connection(('\(SeedLab.underlayB)',1194)); "
                        + "print('connected',flush=True); time.sleep(120)",
                ])
            try silent.waitForLog("connected", timeout: 10)
            try Self.waitForOccurrences(peers.b, "TCP connection established with", count: 2, timeout: 15)
            // `ping 1`: the real client authenticates within the 4 s once it is accepted.
            let client = try seed.startPeer(
                .openvpn, side: .a,
                config: seed.config(
                    side: .a, cipher: Self.cipher, keyPath: key, extra: ["proto tcp-client", "ping 1"]),
                name: "openvpn-A-again")
            try client.waitForLog("Initialization Sequence Completed", timeout: 30)
            try peers.b.waitForLog(
                "TCP: no authenticated packet from [AF_INET]\(SeedLab.underlayA):", timeout: 15)
            try peers.b.waitForLog("SIGUSR1[soft,handshake-timeout] received, process restarting", timeout: 5)
            try Self.waitForOccurrences(peers.b, "TCP connection established with", count: 3, timeout: 15)
            try Self.waitForOccurrences(peers.b, "Peer Connection Initiated with", count: 2, timeout: 15)
            try seed.pingAcrossBothWays()
            try seed.transfer(
                from: seed.hostA, to: seed.hostB, receiverAddress: SeedLab.hostAddrB, bytes: 2 * 1024 * 1024, seed: 3)
            try seed.transfer(
                from: seed.hostB, to: seed.hostA, receiverAddress: SeedLab.hostAddrA, bytes: 2 * 1024 * 1024, seed: 4)
            #expect(peers.b.isRunning && client.isRunning, "a peer died after the reconnect")
            try LogScan.assertClean([client, peers.b])
        }
    }
}
