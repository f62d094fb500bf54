import Foundation

#if canImport(Glibc)
    import Glibc
    import Testing
#endif

enum Implementation: String, CaseIterable, Sendable, CustomStringConvertible {
    case openvpn, swvpnd
    var description: String { rawValue }
}

enum Side: String, Sendable {
    case a = "A"
    case b = "B"
}

/// The matrix's cipher configurations (issue text: default, AES-256 with key directions, AES-128, none).
enum CipherCase: String, CaseIterable, Sendable, CustomStringConvertible {
    /// The seed's config as-is: BF-CBC/SHA1 defaults, which OpenSSL 3 only offers through the legacy provider.
    case defaultBFCBCLegacy
    case aes256CBCSHA256KeyDirection
    case aes128CBCSHA1
    case cipherNoneAuthNone

    var description: String { rawValue }

    func directives(side: Side, keyPath: String) -> [String] {
        switch self {
        case .defaultBFCBCLegacy:
            return ["providers legacy default", "secret \(keyPath)"]
        case .aes256CBCSHA256KeyDirection:
            return ["cipher AES-256-CBC", "auth SHA256", "secret \(keyPath) \(side == .a ? 0 : 1)"]
        case .aes128CBCSHA1:
            return ["cipher AES-128-CBC", "auth SHA1", "secret \(keyPath)"]
        case .cipherNoneAuthNone:
            return ["cipher none", "auth none", "secret \(keyPath)"]
        }
    }
}

/// The seed deployment in miniature: VPN #1 (ns `vpn1`, 10.0.0.5) and VPN #2 (ns `vpn2`, 172.16.0.5)
/// joined by an "internet" veth (10.77.0.1 <-> 10.77.0.2), each with a private host behind it
/// (10.0.1.10 and 172.16.1.10) whose default route points at its VPN instance.
final class SeedLab {
    static let underlayA = "10.77.0.1"
    static let underlayB = "10.77.0.2"
    static let vpnAddrA = "10.0.0.5"
    static let vpnAddrB = "172.16.0.5"
    static let hostAddrA = "10.0.1.10"
    static let hostAddrB = "172.16.1.10"
    static let tunnelA = "169.254.255.1"
    static let tunnelB = "169.254.255.2"

    let lab: NetnsLab
    let vpnA: String
    let vpnB: String
    let hostA: String
    let hostB: String
    private var transferPort = 5001

    init(lab: NetnsLab) throws {
        self.lab = lab
        vpnA = try lab.addNamespace("vpn1")
        vpnB = try lab.addNamespace("vpn2")
        hostA = try lab.addNamespace("host1")
        hostB = try lab.addNamespace("host2")
        try lab.link(vpnA, "inet0", "\(Self.underlayA)/24", vpnB, "inet0", "\(Self.underlayB)/24")
        try lab.link(hostA, "eth0", "\(Self.hostAddrA)/16", vpnA, "vpc0", "\(Self.vpnAddrA)/16")
        try lab.link(hostB, "eth0", "\(Self.hostAddrB)/16", vpnB, "vpc0", "\(Self.vpnAddrB)/16")
        try Shell.must(["ip", "-n", hostA, "route", "add", "default", "via", Self.vpnAddrA])
        try Shell.must(["ip", "-n", hostB, "route", "add", "default", "via", Self.vpnAddrB])
        for ns in [vpnA, vpnB] { try lab.must(in: ns, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]) }
    }

    func namespace(_ side: Side) -> String { side == .a ? vpnA : vpnB }

    /// A fresh key from the real openvpn, so every test also checks interop of the key file itself.
    func generateKey(_ name: String = "static.key") throws -> String {
        let p = lab.path(name)
        try Shell.must(["openvpn", "--genkey", "secret", p])
        return p
    }

    /// Seed-style config. `remotePort` differs from `port` only when a relay sits in between.
    func config(
        side: Side, cipher: CipherCase, keyPath: String, port: Int = 1194, remoteHost: String? = nil,
        remotePort: Int? = nil, ifconfig: (String, String)? = nil, route: Bool = true, extra: [String] = []
    ) -> String {
        let farUnderlay = side == .a ? Self.underlayB : Self.underlayA
        let local = ifconfig?.0 ?? (side == .a ? Self.tunnelA : Self.tunnelB)
        let remote = ifconfig?.1 ?? (side == .a ? Self.tunnelB : Self.tunnelA)
        var lines = [
            "# swvpnd integration test: side \(side.rawValue), \(cipher)",
            "port \(port)",
            "dev tun",
            "remote \(remoteHost ?? farUnderlay)" + (remotePort.map { " \($0)" } ?? ""),
            "ifconfig \(local) \(remote)",
        ]
        if route { lines.append(side == .a ? "route 172.16.0.0 255.255.0.0" : "route 10.0.0.0 255.255.0.0") }
        lines += cipher.directives(side: side, keyPath: keyPath)
        lines += extra
        lines.append("verb 7")
        return lines.joined(separator: "\n") + "\n"
    }

    func startPeer(_ impl: Implementation, side: Side, config: String, name: String? = nil) throws -> Daemon {
        let label = name ?? "\(impl)-\(side.rawValue)"
        let path = try lab.write("\(label).conf", config)
        let argv: [String]
        switch impl {
        case .openvpn: argv = ["openvpn", "--config", path]
        case .swvpnd: argv = [try Prerequisites.swvpndBinary(), "--config", path]
        }
        return try lab.spawn(in: namespace(side), label: label, argv)
    }

    /// The interop bar every pairing must clear (issue #3): the far-VPC routes go through the tunnel,
    /// ping both ways, 20 MiB verified each way and counted on the tun devices, both peers alive,
    /// and no decrypt/replay/OCC complaint in either log.
    func assertCarriesVerifiedTraffic(_ peers: (a: Daemon, b: Daemon)) throws {
        try assertRoutesUseTunnel()
        try pingAcrossBothWays()
        let bytes = 20 * 1024 * 1024
        try transferBothWays(bytes: bytes)
        try assertTunnelCarried(atLeast: bytes)
        #expect(peers.a.isRunning && peers.b.isRunning, "a peer died during the test")
        try LogScan.assertClean([peers.a, peers.b])
    }

    /// Starts `a` and openvpn B with A reaching B only through scripts/lib/udprelay.py in vpn1:
    /// A (0.0.0.0:1194) <-> relay 127.0.0.1:2000 | relay 10.77.0.1:1300 <-> B (10.77.0.2:1194).
    /// `faults` are the relay's own flags (`--loss 0.05`, `--dup 1.0`, ...).
    func startRelayedPair(
        a impl: Implementation, cipher: CipherCase, keyPath: String, faults: [String], extra: [String] = [],
        timeout: Double = 15
    ) throws -> (peers: (a: Daemon, b: Daemon), relay: Daemon) {
        let relay = try lab.spawn(
            in: vpnA, label: "udprelay",
            [
                "python3", Paths.relayScript, "--a-listen", "127.0.0.1:2000", "--a-peer", "127.0.0.1:1194",
                "--b-listen", "\(Self.underlayA):1300", "--b-peer", "\(Self.underlayB):1194",
            ] + faults)
        try relay.waitForLog("relay ready", timeout: 10)
        let b = try startPeer(
            .openvpn, side: .b,
            config: config(
                side: .b, cipher: cipher, keyPath: keyPath, remoteHost: Self.underlayA, remotePort: 1300,
                extra: extra))
        let a = try startPeer(
            impl, side: .a,
            config: config(
                side: .a, cipher: cipher, keyPath: keyPath, remoteHost: "127.0.0.1", remotePort: 2000,
                extra: extra))
        try waitUp([a, b], timeout: timeout)
        return ((a, b), relay)
    }

    /// Both peers finished start-up and each has authenticated a packet from the other.
    /// openvpn completes its start-up only once it hears from the peer, so every peer is polled together:
    /// a peer that dies fails the wait at once instead of after the other's timeout.
    func waitUp(_ peers: [Daemon], timeout: Double = 15) throws {
        let deadline = Date().addingTimeInterval(timeout)
        for needle in ["Initialization Sequence Completed", "Peer Connection Initiated with"] {
            while !peers.allSatisfy({ $0.log().contains(needle) }) {
                for p in peers where !p.isRunning && !p.log().contains(needle) {
                    try p.waitForLog(needle, timeout: 0)  // throws the exit status and log tail
                }
                if Date() >= deadline {
                    for p in peers { try p.waitForLog(needle, timeout: 0) }
                }
                usleep(50_000)
            }
        }
    }

    /// Starts a tunnel between the two VPN instances and waits until it is up.
    func startTunnel(
        a implA: Implementation, b implB: Implementation, cipher: CipherCase, keyPath: String, extra: [String] = []
    ) throws -> (a: Daemon, b: Daemon) {
        let b = try startPeer(implB, side: .b, config: config(side: .b, cipher: cipher, keyPath: keyPath, extra: extra))
        let a = try startPeer(implA, side: .a, config: config(side: .a, cipher: cipher, keyPath: keyPath, extra: extra))
        try waitUp([a, b])
        return (a, b)
    }

    func ping(from ns: String, to address: String, count: Int = 3, deadline: Int = 10) throws {
        let r = try lab.run(
            in: ns, ["ping", "-n", "-c", "\(count)", "-i", "0.2", "-W", "1", "-w", "\(deadline)", address],
            timeout: Double(deadline + 5))
        guard r.succeeded else { throw HarnessError("ping \(address) from \(ns) failed: \(r.summary)") }
    }

    /// Private host to private host in both directions, so the routes to the far VPC are exercised.
    func pingAcrossBothWays() throws {
        try ping(from: hostA, to: Self.hostAddrB)
        try ping(from: hostB, to: Self.hostAddrA)
    }

    /// Sends `bytes` of a seeded stream from one private host to the other over TCP; both ends hash
    /// the stream and the receiver also checks it against the regenerated stream.
    /// `compressible`: a repeated seeded motif instead of random bytes.
    func transfer(
        from senderNs: String, to receiverNs: String, receiverAddress: String, bytes: Int, seed: Int,
        compressible: Bool = false
    ) throws {
        transferPort += 1
        let port = "\(transferPort)"
        let common =
            ["--port", port, "--bytes", "\(bytes)", "--seed", "\(seed)", "--timeout", "60"]
            + (compressible ? ["--compressible"] : [])
        let listener = try lab.spawn(
            in: receiverNs, label: "xfer-recv-\(port)",
            ["python3", Paths.xferScript, "listen", "--host", receiverAddress, "--role", "recv"] + common)
        try listener.waitForLog("listening", timeout: 10)
        let sender = try lab.run(
            in: senderNs,
            ["python3", Paths.xferScript, "connect", "--host", receiverAddress, "--role", "send"] + common,
            timeout: 90)
        guard sender.succeeded else { throw HarnessError("TCP sender failed: \(sender.summary)") }
        guard listener.waitForExit(timeout: 30) else {
            throw HarnessError("TCP receiver did not finish: \(listener.log().tail(10))")
        }
        let received = listener.log()
        guard listener.process.terminationStatus == 0 else {
            throw HarnessError(
                "TCP receiver reported an error (exit \(listener.process.terminationStatus)): \(received.tail(10))")
        }
        let sentLine = sender.stdout.split(separator: "\n").first { $0.hasPrefix("role=send") }
        let recvLine = received.split(separator: "\n").first { $0.hasPrefix("role=recv") }
        guard let sentLine, let recvLine else {
            throw HarnessError("transfer produced no summary: sender \(sender.stdout) receiver \(received.tail(5))")
        }
        let sentFields = sentLine.split(separator: " ").dropFirst()
        let recvFields = recvLine.split(separator: " ").dropFirst()
        guard Array(sentFields) == Array(recvFields), sentFields.first == "bytes=\(bytes)" else {
            throw HarnessError("transfer mismatch: sent '\(sentLine)' received '\(recvLine)'")
        }
    }

    func transferBothWays(bytes: Int = 20 * 1024 * 1024) throws {
        try transfer(from: hostA, to: hostB, receiverAddress: Self.hostAddrB, bytes: bytes, seed: 11)
        try transfer(from: hostB, to: hostA, receiverAddress: Self.hostAddrA, bytes: bytes, seed: 22)
    }

    struct TunDevice {
        let name: String
        let rxBytes: Int
        let txBytes: Int
    }

    func tunDevices(in ns: String) throws -> [TunDevice] {
        let json = try Shell.must(["ip", "-n", ns, "-j", "-s", "link", "show", "type", "tun"])
        guard let data = json.data(using: .utf8), !json.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
            let list = try JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        else { return [] }
        return list.compactMap { dev in
            guard let name = dev["ifname"] as? String else { return nil }
            let stats = dev["stats64"] as? [String: Any]
            let rx = (stats?["rx"] as? [String: Any])?["bytes"] as? Int ?? 0
            let tx = (stats?["tx"] as? [String: Any])?["bytes"] as? Int ?? 0
            return TunDevice(name: name, rxBytes: rx, txBytes: tx)
        }
    }

    /// The far VPC's route in each VPN namespace goes via the tunnel peer address on a tun device.
    func assertRoutesUseTunnel() throws {
        for (ns, dst, via) in [(vpnA, Self.hostAddrB, Self.tunnelB), (vpnB, Self.hostAddrA, Self.tunnelA)] {
            let tuns = try tunDevices(in: ns).map(\.name)
            let r = try Shell.must(["ip", "-n", ns, "route", "get", dst])
            guard r.contains("via \(via)"), tuns.contains(where: { r.contains("dev \($0) ") }) else {
                throw HarnessError("route to \(dst) in \(ns) does not use the tunnel (tun devices \(tuns)): \(r)")
            }
        }
    }

    /// The tun device in each VPN namespace carried at least `bytes` each way (the transfer went through it).
    func assertTunnelCarried(atLeast bytes: Int) throws {
        for ns in [vpnA, vpnB] {
            let devs = try tunDevices(in: ns)
            guard devs.contains(where: { $0.rxBytes >= bytes && $0.txBytes >= bytes }) else {
                throw HarnessError("tun counters in \(ns) below \(bytes) bytes each way: \(devs)")
            }
        }
    }
}

enum LogScan {
    /// Substrings that mean the data channel or the option check went wrong.
    static let badPatterns = [
        "Authenticate/Decrypt packet error",
        "is used inconsistently",
        "present in local config but missing",
        "present in remote config but missing",
    ]

    /// Offending lines. Any "replay" counts too, except the option dump's `replay_window = 64` style lines
    /// that verb 7 prints at start and lines about the `replay-persist` file.
    static func problems(in log: String) -> [String] {
        log.split(separator: "\n").map(String.init).filter { line in
            if badPatterns.contains(where: { line.contains($0) }) { return true }
            let lower = line.lowercased()
            if lower.contains("replay-persist") { return false }  // the directive's own start-up line
            if lower.contains("no key direction:") { return false }  // start-up advice for keyless configs
            return lower.contains("replay") && lower.firstMatch(of: #/[a-z_]*replay[a-z_]* = /#) == nil
        }
    }

    static func assertClean(_ peers: [Daemon]) throws {
        var report: [String] = []
        for p in peers {
            let bad = problems(in: p.log())
            if !bad.isEmpty { report.append("\(p.label) (\(p.logPath)):\n" + bad.prefix(10).joined(separator: "\n")) }
        }
        guard report.isEmpty else { throw HarnessError("log shows errors:\n" + report.joined(separator: "\n")) }
    }
}
