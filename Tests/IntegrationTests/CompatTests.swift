import Foundation
import SwvpnCompression
import Testing

extension IntegrationTests.CheckConfig {
    static func openvpnBinary() throws -> String {
        guard let path = Prerequisites.which("openvpn") else {
            throw HarnessError(
                "`openvpn` not in PATH (apt-get install openvpn): the compatibility tests compare with it")
        }
        return path
    }

    /// openvpn 2.6 parses `config` and self-tests its key without a device. "Accepted" means it got as
    /// far as the self-test: with a key direction openvpn's own loopback then fails (it opens with the
    /// sending key), which says nothing about the config.
    static func openvpnAccepts(_ openvpn: String, in dir: String, _ config: String) throws -> (Bool, String) {
        let r = try Shell.run(
            [
                "-C", dir, openvpn, "--config", config, "--providers", "legacy", "default",
                "--log", "/dev/stdout", "--test-crypto",
            ], timeout: 60)
        let accepted = !r.timedOut && r.stdout.contains("Entering OpenVPN crypto self-test mode.")
        let error = r.stdout.split(separator: "\n").first { $0.contains("Options error") }.map(String.init) ?? r.summary
        return (accepted, error)
    }

    /// Real-world-style static-key configs (generators, firmware, configuration management, tutorials,
    /// test suites): every one openvpn 2.6 accepts, swvpnd accepts, config by config, except those
    /// listed in EXPECTED-REJECTED, which must fail with the listed reason.
    @Test
    func realWorldCorpusAcceptedByOpenVPNIsAcceptedBySwvpnd() throws {
        let bin = try Prerequisites.swvpndBinary()
        let openvpn = try Self.openvpnBinary()
        let dir = try Self.scratchCopy(of: try Self.corpus().appendingPathComponent("real-world"), label: "realworld")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for script in try FileManager.default.contentsOfDirectory(atPath: dir) where script.hasSuffix(".sh") {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(dir)/\(script)")
        }
        var expectedRejections: [String: String] = [:]
        for line in try String(contentsOfFile: "\(dir)/EXPECTED-REJECTED", encoding: .utf8).split(separator: "\n")
        where !line.hasPrefix("#") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { expectedRejections[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        let configs = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".conf") }.sorted()
        #expect(configs.count >= 20, "corpus too small: \(configs.count)")
        #expect(Set(expectedRejections.keys).isSubset(of: Set(configs)), "EXPECTED-REJECTED names missing configs")

        var table: [String] = []
        var openvpnCount = 0
        var swvpndCount = 0
        for name in configs {
            let (openvpnOK, openvpnError) = try Self.openvpnAccepts(openvpn, in: dir, name)
            let r = try Self.swvpnd(bin, in: dir, ["--check-config", "--config", name])
            let error = r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            table.append(
                "\(name): openvpn \(openvpnOK ? "accepts" : "rejects"), swvpnd "
                    + (r.succeeded ? "accepts" : "rejects (\(error))"))
            // The corpus holds configs openvpn runs; one it refuses is a broken fixture.
            #expect(openvpnOK, "\(name): openvpn 2.6 rejects it: \(openvpnError)")
            if openvpnOK { openvpnCount += 1 }
            if r.succeeded { swvpndCount += 1 }
            if let reason = expectedRejections[name] {
                #expect(
                    !r.succeeded && r.status == 1 && error.contains(reason),
                    "\(name): expected a rejection containing '\(reason)': \(r.summary)")
            } else {
                #expect(r.succeeded, "\(name): openvpn accepts it, swvpnd does not: \(r.summary)")
                #expect(r.stdout.contains("\(name): OK"), "\(name): no OK line: \(r.stdout)")
            }
        }
        print(
            "real-world corpus: \(configs.count) configs, openvpn accepts \(openvpnCount), swvpnd accepts "
                + "\(swvpndCount), expected rejections \(expectedRejections.count)\n" + table.joined(separator: "\n"))
    }

    /// `--test-crypto` seals and opens every size openvpn's self-test does, and exits 0 where openvpn does;
    /// with a key direction it passes too (openvpn's loopback cannot, see `openvpnAccepts`).
    @Test
    func testCryptoRunsOpenVPNsSelfTestRange() throws {
        let bin = try Prerequisites.swvpndBinary()
        let openvpn = try Self.openvpnBinary()
        let dir = try Self.scratchCopy(of: try Self.corpus().appendingPathComponent("real-world"), label: "selftest")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (cipher, auth) in [
            ("AES-256-CBC", "SHA256"), ("BF-CBC", "SHA1"), ("AES-128-CBC", "SHA512"), ("none", "none"),
        ] {
            let config = "dev tun\nsecret static.key\ncipher \(cipher)\nauth \(auth)\nproviders legacy default\n"
            try config.write(toFile: "\(dir)/selftest.conf", atomically: true, encoding: .utf8)
            let ours = try Self.swvpnd(bin, in: dir, ["--test-crypto", "--config", "selftest.conf"])
            let theirs = try Shell.run(["-C", dir, openvpn, "--config", "selftest.conf", "--test-crypto"], timeout: 60)
            #expect(
                ours.succeeded && ours.stdout.contains("self-test mode SUCCEEDED"), "\(cipher)/\(auth): \(ours.summary)"
            )
            #expect(theirs.succeeded, "\(cipher)/\(auth): openvpn: \(theirs.summary)")
            let lengths = { (text: String) in
                text.split(separator: "\n").compactMap {
                    $0.components(separatedBy: "TESTING ENCRYPT/DECRYPT of packet length=").last.flatMap { Int($0) }
                }
            }
            #expect(
                !lengths(ours.stdout).isEmpty && lengths(ours.stdout) == lengths(theirs.stdout),
                "\(cipher)/\(auth): tested lengths differ from openvpn's")
        }
        try "dev tun\nsecret static.key 1\ncipher AES-256-CBC\nauth SHA256\n".write(
            toFile: "\(dir)/direction.conf", atomically: true, encoding: .utf8)
        let directional = try Self.swvpnd(bin, in: dir, ["--test-crypto", "--config", "direction.conf"])
        #expect(directional.succeeded, "\(directional.summary)")
        let broken = try Self.swvpnd(bin, in: dir, ["--test-crypto", "--config", "missing.conf"])
        #expect(broken.status == 1, "\(broken.summary)")
    }

    /// Each line of `--show-ciphers` / `--show-digests` is a line of openvpn's own list, with the same
    /// providers loaded, and the CBC ciphers swvpnd implements are all there.
    @Test
    func showCiphersAndDigestsMatchOpenVPNsLists() throws {
        let bin = try Prerequisites.swvpndBinary()
        let openvpn = try Self.openvpnBinary()
        for providers in [[String](), ["--providers", "legacy", "default"]] {
            for action in ["--show-ciphers", "--show-digests"] {
                let ours = try Shell.must([bin, action] + providers, timeout: 20)
                let theirs = Set(
                    try Shell.must([openvpn, action] + providers, timeout: 20)
                        .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
                let entries = ours.split(separator: "\n").filter { $0.contains(" bit ") }
                #expect(entries.count >= 5, "\(action) \(providers): \(ours)")
                for entry in entries {
                    #expect(
                        theirs.contains(String(entry)), "\(action) \(providers): '\(entry)' is not in openvpn's list")
                }
                if action == "--show-ciphers" {
                    #expect(
                        entries.contains { $0.hasPrefix("BF-CBC ") } == !providers.isEmpty,
                        "BF-CBC is listed exactly when the legacy provider is loaded: \(ours)")
                }
            }
        }
    }
}

extension IntegrationTests.DaemonOptions {
    /// Options a config carries that change the host: a user-named device with `dev-type tun`,
    /// `ifconfig-ipv6` without `/bits` (a /64, as openvpn), `dhcp-option` handed to scripts as
    /// openvpn's `foreign_option_N`, `nice` and `mlock`; each compared with openvpn on B.
    @Test
    func compatOptionsReachTheHostAsWithOpenVPN() throws {
        let env = try Self.prepare()
        defer { env.lab.teardown() }
        let script = try env.lab.write(
            "foreign.sh",
            """
            #!/bin/sh
            env | grep '^foreign_option_' | sort > "\(env.lab.workDir)/foreign-${SIDE}.txt"

            """)
        try Shell.must(["chmod", "755", script])
        let common = [
            "script-security 2", "up \(script)", "dhcp-option DNS 10.0.0.1", "dhcp-option DOMAIN example.net",
            "dhcp-option DISABLE-NBT", "nice 5",
        ]
        // mlock on swvpnd only: openvpn 2.6 exits when it cannot raise RLIMIT_MEMLOCK to 100 MB (as in
        // containers without CAP_SYS_RESOURCE), swvpnd warns and locks what the limit allows.
        let peers = try Self.startPair(
            env,
            extraA: common + [
                "setenv SIDE A", "dev vtun7", "dev-type tun", "ifconfig-ipv6 fd00:77::1 fd00:77::2", "mlock",
            ],
            extraB: common + ["setenv SIDE B", "ifconfig-ipv6 fd00:77::2 fd00:77::1"])

        let foreignA = Self.read(env.lab.path("foreign-A.txt")) ?? "(up script did not run)"
        let foreignB = Self.read(env.lab.path("foreign-B.txt")) ?? "(up script did not run)"
        #expect(foreignB.contains("foreign_option_3=dhcp-option DISABLE-NBT"), "openvpn's environment: \(foreignB)")
        #expect(foreignA == foreignB, "foreign_option_N: swvpnd\n\(foreignA)\nopenvpn\n\(foreignB)")

        #expect(try env.seed.tunDevices(in: env.seed.vpnA).map(\.name) == ["vtun7"])
        let v6A = try Shell.must(["ip", "-n", env.seed.vpnA, "-6", "addr", "show", "dev", "vtun7"])
        let v6B = try Shell.must(["ip", "-n", env.seed.vpnB, "-6", "addr", "show"])
        #expect(v6A.contains("inet6 fd00:77::1/64"), "swvpnd's IPv6 address: \(v6A)")
        #expect(v6B.contains("inet6 fd00:77::2/64"), "openvpn's IPv6 address (the reference): \(v6B)")

        for (name, daemon) in [("swvpnd", peers.a), ("openvpn", peers.b)] {
            let stat = Self.read("/proc/\(daemon.pid)/stat") ?? ""
            // Fields after "(comm) ": state is field 3 of stat(5), nice field 19.
            let fields = stat.components(separatedBy: ") ").last?.split(separator: " ") ?? []
            #expect(fields.count > 16 && fields[16] == "5", "\(name): nice in /proc/\(daemon.pid)/stat: \(stat)")
            guard name == "swvpnd" else { continue }
            let status = Self.read("/proc/\(daemon.pid)/status") ?? ""
            let locked =
                status.split(separator: "\n").first { $0.hasPrefix("VmLck:") }
                .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
            #expect(
                locked > 0,
                "\(name): no locked memory after mlock: \(status.split(separator: "\n").filter { $0.hasPrefix("Vm") })")
        }
    }
}

extension IntegrationTests.DaemonOptions {
    /// `link-mtu 1400` on both sides: swvpnd gives its device the MTU openvpn derives, the OCC strings
    /// match (nobody reports an inconsistency), and traffic crosses.
    @Test
    func linkMTUGivesOpenVPNsDeviceMTUAndMatchingOCC() throws {
        let env = try Self.prepare()
        defer { env.lab.teardown() }
        let peers = try Self.startPair(env, extraA: ["link-mtu 1400"], extraB: ["link-mtu 1400"], verbB: 9)
        try peers.b.waitForLog("RECEIVED OCC_REPLY", timeout: 40)
        try peers.a.waitForLog("RECEIVED OCC_REPLY", timeout: 40)
        let mtu = { (ns: String) throws -> [String] in
            try env.seed.tunDevices(in: ns).map { device in
                let text = try Shell.must(["ip", "-n", ns, "link", "show", "dev", device.name])
                return text.components(separatedBy: " mtu ").dropFirst().first?.split(separator: " ").first.map(
                    String.init) ?? "?"
            }
        }
        let mtuA = try mtu(env.seed.vpnA)
        let mtuB = try mtu(env.seed.vpnB)
        #expect(mtuA == mtuB && mtuA.count == 1 && mtuA != ["1500"], "device MTU: swvpnd \(mtuA), openvpn \(mtuB)")
        #expect(!peers.a.log().contains("OCC: "), "swvpnd reports an OCC inconsistency:\n\(peers.a.log().tail(20))")
        #expect(
            !peers.b.log().contains("used inconsistently"),
            "openvpn reports an OCC inconsistency:\n\(peers.b.log().tail(20))")
        try env.seed.pingAcrossBothWays()
    }
}

extension IntegrationTests.CheckConfig {
    /// What openvpn 2.6 really sends when it compresses (`allow-compression yes`): a listener takes its UDP
    /// datagrams (cipher none, auth none, no-replay, so the payload is the compression frame itself), and
    /// SwvpnCompression must turn each compressed one back into the IPv4 ping that entered openvpn's tun.
    @Test(arguments: [
        ("comp-lzo yes", [UInt8(0x66)], PacketDecompressor.Algorithm.lzo),
        ("compress lz4-v2", [UInt8(0x50), 0x01], .lz4),
    ])
    func decompressesWhatACompressingOpenVPNSends(
        option: String, header: [UInt8], algorithm: PacketDecompressor.Algorithm
    ) throws {
        try Prerequisites.requireBase()
        let lab = try NetnsLab()
        defer { lab.teardown() }
        let ns = try lab.addNamespace("cmp")
        let capture = lab.path("datagrams.hex")
        let listener = try lab.spawn(
            in: ns, label: "listener",
            [
                "python3", "-u", "-c",
                """
                import socket, sys
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("127.0.0.1", 40999))
                print("listening", flush=True)
                with open(sys.argv[1], "a") as f:
                    while True:
                        d, _ = s.recvfrom(65535)
                        f.write(d.hex() + "\\n")
                        f.flush()
                """, capture,
            ])
        try listener.waitForLog("listening")
        try Shell.must(["openvpn", "--genkey", "secret", lab.path("cmp.key")])
        let config = try lab.write(
            "cmp.conf",
            """
            dev tun
            local 127.0.0.1
            lport 40998
            remote 127.0.0.1 40999
            ifconfig 10.201.0.1 10.201.0.2
            secret \(lab.path("cmp.key"))
            cipher none
            auth none
            no-replay
            allow-compression yes
            \(option)
            verb 3

            """)
        let openvpn = try lab.spawn(in: ns, label: "openvpn", ["openvpn", "--config", config])
        // Static-key openvpn completes its initialisation only once the peer answers; the device is enough here.
        try openvpn.waitForLog("link remote")
        let deadline = Date().addingTimeInterval(15)
        while !(try lab.run(in: ns, ["ip", "-4", "addr", "show"])).stdout.contains("10.201.0.1"), Date() < deadline {
            usleep(100_000)
        }
        // Nobody answers: the pings only need to enter the tunnel. A repeated pattern compresses well.
        _ = try lab.run(
            in: ns, ["ping", "-c", "3", "-i", "0.2", "-W", "1", "-s", "1200", "-p", "41424344", "10.201.0.2"])
        let datagrams =
            (try? String(contentsOfFile: capture, encoding: .utf8))?.split(separator: "\n")
            .map { hex in
                stride(from: 0, to: hex.count - 1, by: 2).map { i -> UInt8 in
                    let start = hex.index(hex.startIndex, offsetBy: i)
                    return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16) ?? 0
                }
            } ?? []
        let compressed = datagrams.filter { $0.starts(with: header) }
        #expect(compressed.count >= 3, "\(option): \(compressed.count) compressed datagrams of \(datagrams.count)")
        for datagram in compressed {
            var output = [UInt8](repeating: 0, count: 1600)
            let result = Array(datagram.dropFirst(header.count)).withUnsafeBytes { input in
                output.withUnsafeMutableBytes { PacketDecompressor.decompress(algorithm, input, into: $0) }
            }
            guard case .success(let length) = result else {
                Issue.record("\(option): \(result)")
                continue
            }
            #expect(
                datagram.count < length / 2,
                "\(option): \(datagram.count) bytes on the wire for a \(length)-byte packet")
            let packet = output.prefix(length)
            #expect(
                length == 20 + 8 + 1200 && packet.first == 0x45 && Int(packet[2]) << 8 | Int(packet[3]) == length,
                "\(option): not the IPv4 ping: \(length) bytes, \(packet.prefix(4).map { String($0, radix: 16) })")
            #expect(
                packet[20] == 8
                    && packet.suffix(16)
                        == [
                            0x41, 0x42, 0x43, 0x44, 0x41, 0x42, 0x43, 0x44, 0x41, 0x42, 0x43, 0x44, 0x41, 0x42, 0x43,
                            0x44,
                        ][...],
                "\(option): not the echo request with its pattern")
        }
    }
}
