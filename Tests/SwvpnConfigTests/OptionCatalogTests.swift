import Foundation
import SwvpnConfig
import SwvpnProtocol
import Testing

/// Every option `openvpn --help` (2.6.14, Debian) lists gets an answer: implemented, accepted with a
/// note, or rejected with its reason; never "unknown directive".
@Suite struct OptionCatalogTests {
    /// The option names of the committed `openvpn --help` output: lines that start with `--name`.
    static let openvpnOptions: [String] = {
        let help = Corpus.text("openvpn", "openvpn-2.6.14-help.txt")
        var names: [String] = []
        for line in help.split(separator: "\n") where line.hasPrefix("--") {
            let name = line.dropFirst(2).prefix { $0.isLetter || $0.isNumber || $0 == "-" }
            if !name.isEmpty, !names.contains(String(name)) { names.append(String(name)) }
        }
        return names
    }()

    private static let base = "dev tun\nsecret k 0\n"

    @Test func fixtureHoldsOpenVPNsWholeList() {
        // 243 in 2.6.14; a much shorter list means the fixture or its parsing broke.
        #expect(Self.openvpnOptions.count >= 240, "\(Self.openvpnOptions.count) options in the fixture")
        #expect(Self.openvpnOptions.contains("secret") && Self.openvpnOptions.contains("tls-client"))
    }

    @Test(arguments: OptionCatalogTests.openvpnOptions)
    func noOpenVPNOptionIsUnknown(name: String) throws {
        let directive = try #require(DirectiveTable.named(name), "\(name) is unknown to swvpnd")
        #expect(DirectiveTable.everyOption.contains { $0.name == name })
        let arguments = Array(repeating: "1", count: directive.argumentCount.lowerBound).joined(separator: " ")
        switch directive.status {
        case .rejected:
            // The error is the directive's own reason, and the help text carries it too.
            let text = errorText { () throws(ConfigError) in try parse(Self.base + "\(name) \(arguments)\n") }
            let problem = try #require(text, "rejected \(name) was accepted")
            #expect(problem.hasPrefix("t.conf:3: \(name): "), "\(problem)")
            let reason = String(problem.dropFirst("t.conf:3: \(name): ".count))
            #expect(reason != "unknown directive" && reason.count >= 20, "\(name): vague reason '\(reason)'")
            // (The table's own older entries word their help text differently.)
            #expect(
                directive.summary.contains(reason) || DirectiveTable.all.contains { $0.name == name },
                "\(name): --help does not give the reason '\(reason)' (\(directive.summary))")
        case .noEffect:
            let config = try parse(Self.base + "\(name) \(arguments)\n")
            let note = try #require(config.warnings.first { $0.directive == name }, "\(name): no note")
            #expect(note.message.count >= 20, "\(name): vague note '\(note.message)'")
        case .supported:
            #expect(!directive.summary.isEmpty)
        }
    }

    @Test func everyOptionIsListedOnceWithHelpText() {
        let names = DirectiveTable.everyOption.map(\.name)
        #expect(
            Set(names).count == names.count, "listed twice: \(names.filter { n in names.filter { $0 == n }.count > 1 })"
        )
        for directive in DirectiveTable.everyOption {
            #expect(directive.synopsis.hasPrefix(directive.name), "\(directive.name)")
            #expect(!directive.summary.isEmpty, "\(directive.name)")
        }
        let counts = Dictionary(
            grouping: Self.openvpnOptions.compactMap { DirectiveTable.named($0)?.status }, by: { $0 }
        )
        .mapValues(\.count)
        print(
            "openvpn 2.6 options: \(Self.openvpnOptions.count); implemented \(counts[.supported] ?? 0), "
                + "no effect \(counts[.noEffect] ?? 0), rejected \(counts[.rejected] ?? 0)")
    }

    @Test func commandLineActionsSayHowToRunThem() {
        for name in OpenVPNOptionCatalog.commandLineActions {
            #expect(
                errorText { () throws(ConfigError) in try parse(Self.base + name + "\n") }
                    == "t.conf:3: \(name): a command-line action, not a config directive: run 'swvpnd --\(name)'")
        }
    }

    // MARK: ignore-unknown-option

    @Test func ignoreUnknownOptionTurnsListedNamesIntoWarnings() throws {
        let config = try parse(
            Self.base + "ignore-unknown-option block-outside-dns frobnicate\nblock-outside-dns\nfrobnicate 1 2\n")
        #expect(
            config.warnings.map(\.description) == [
                "t.conf:4: block-outside-dns: unknown option ignored (listed in ignore-unknown-option)",
                "t.conf:5: frobnicate: unknown option ignored (listed in ignore-unknown-option)",
            ])
        // Only the names listed, and only after the list (openvpn reads in order).
        #expect(
            errorText { () throws(ConfigError) in
                try parse(Self.base + "ignore-unknown-option frobnicate\nblock-outside-dns\n")
            } == "t.conf:4: block-outside-dns: unknown directive")
        #expect(
            errorText { () throws(ConfigError) in
                try parse(Self.base + "frobnicate\nignore-unknown-option frobnicate\n")
            } == "t.conf:3: frobnicate: unknown directive")
        // Known options are never ignored: a rejected one keeps its error.
        #expect(
            errorText { () throws(ConfigError) in
                try parse(Self.base + "ignore-unknown-option tls-client\ntls-client\n")
            } == "t.conf:4: tls-client: TLS mode is not supported")
    }

    // MARK: Given twice

    @Test func theLaterDirectiveWins() throws {
        let config = try parse(Self.base + "cipher BF-CBC\ncipher AES-256-CBC\nport 1195\nport 1196\nverb 3\nverb 4\n")
        #expect(config.cipher == .aes256CBC)
        #expect(config.localPort == 1196)
        #expect(config.verbosity == 4)
    }

    @Test func aSecondSecretReplacesTheFirst() throws {
        let config = try parse("dev tun\nsecret a.key 0\nsecret b.key\n")
        guard case .file(let path, _, _) = config.keySource else {
            Issue.record("expected a key file")
            return
        }
        #expect(path == "b.key")
        #expect(config.keyDirection == .normal)  // the direction of the first line stays, as in openvpn
    }

    @Test func anInlineSecretAfterASecretLineWins() throws {
        let block =
            "<secret>\n-----BEGIN OpenVPN Static key V1-----\nab\n-----END OpenVPN Static key V1-----\n</secret>\n"
        let config = try parse("dev tun\nsecret [inline] 1\n" + block)
        guard case .inline(let inline, let first) = config.keySource else {
            Issue.record("expected the inline key")
            return
        }
        #expect(inline.text.contains("ab\n"))
        #expect(first.line == 4)
        #expect(config.keyDirection == .inverse)
        // The other way round the line wins, and its file is what openvpn would open too.
        let lineLast = try parse("dev tun\n" + block + "secret static.key\n")
        guard case .file(let path, _, _) = lineLast.keySource else {
            Issue.record("expected the key file")
            return
        }
        #expect(path == "static.key")
    }

    // MARK: Devices

    @Test func userNamedTunDevicesNeedDevTypeTun() throws {
        for name in ["vtun0", "ovpns1", "wan-vpn"] {
            let config = try parse("dev \(name)\ndev-type tun\nsecret k\n")
            #expect(config.device == name)
            #expect(
                errorText { () throws(ConfigError) in try parse("dev \(name)\nsecret k\n") }
                    == "t.conf:1: dev: cannot tell whether '\(name)' is a tun or a tap device: add 'dev-type tun' or 'dev-type tap'"
            )
        }
        // dev-type may come first, as in router firmware configs.
        #expect(try parse("dev-type tun\ndev ovpnc2\nsecret k\n").device == "ovpnc2")
        #expect(try parse("dev tun7\ndev-type tun\nsecret k\n").device == "tun7")
        #expect(
            errorText { () throws(ConfigError) in try parse("dev averyveryverylongname\ndev-type tun\nsecret k\n") }
                == "t.conf:1: dev: bad device name 'averyveryverylongname' (1 to 15 characters, no '/', blank or '%')")
    }

    @Test func tapDevicesByNameOrDevTypeAsOpenVPN() throws {
        let tap = try parse("dev tap0\nifconfig 10.9.0.1 255.255.255.0\nlladdr 02:00:5E:10:00:01\nsecret k\n")
        #expect(tap.deviceType == .tap && tap.device == "tap0" && tap.ifconfigHasNetmask)
        #expect(tap.compat.lladdr == [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01])
        #expect(tap.tunMTUExtra == 32)
        // Both strings as openvpn 2.6.14 logs them ("Local Options String") for the same options.
        #expect(
            tap.occOptions.localString
                == "V4,dev-type tap,link-mtu 1576,tun-mtu 1500,proto UDPv4,ifconfig 10.9.0.0 255.255.255.0,cipher BF-CBC,auth SHA1,keysize 128,secret"
        )
        #expect(tap.packetPathSettings(underlay: .ipv4).ethernetFrames)
        #expect(!tap.packetPathSettings(underlay: .ipv4).allowsOffload)
        // dev-type wins over the name, before or after it; tun-mtu-extra changes link-mtu and the MSS clamp.
        #expect(try parse("dev-type tap\ndev br-vpn\nsecret k\n").deviceType == .tap)
        #expect(try parse("dev tun\ndev-type tap\nsecret k\n").deviceType == .tap)
        #expect(try parse("dev tap\ndev-type tun\nsecret k\n").deviceType == .tun)
        let extra = try parse("dev tap\ntun-mtu-extra 64\nifconfig 10.9.0.1 255.255.255.0\nsecret k\n")
        #expect(
            extra.occOptions.localString
                == "V4,dev-type tap,link-mtu 1608,tun-mtu 1500,proto UDPv4,ifconfig 10.9.0.0 255.255.255.0,cipher BF-CBC,auth SHA1,keysize 128,secret"
        )
        #expect(
            extra.packetPathSettings(underlay: .ipv4).mssLimit! == tap.packetPathSettings(underlay: .ipv4).mssLimit!
                - 32)
        #expect(
            errorText { () throws(ConfigError) in try parse("dev tap\nlladdr 02:00:5e:10:00\nsecret k\n") }
                == "t.conf:2: lladdr: bad MAC address '02:00:5e:10:00' (six hex bytes: 02:00:5e:10:00:01)")
    }

    /// `dev null` as openvpn 2.6: no device; an address is refused (openvpn exits on it), routes are
    /// dropped with a warning (openvpn fails to add them and goes on).
    @Test func nullDeviceHasNoAddressAndNoRoutes() throws {
        let null = try parse("dev null\nsecret k\ncipher AES-256-CBC\nauth SHA256\n")
        #expect(null.deviceType == .null && null.device == "null")
        #expect(
            null.occOptions.localString
                == "V4,dev-type null,link-mtu 1572,tun-mtu 1500,proto UDPv4,cipher AES-256-CBC,auth SHA256,keysize 256,secret"
        )
        #expect(try parse("dev tun\ndev-type null\nsecret k\n").deviceType == .null)
        #expect(
            errorText { () throws(ConfigError) in try parse("dev null\nifconfig 10.1.0.1 10.1.0.2\nsecret k\n") }?
                .hasPrefix("t.conf:2: ifconfig: dev null has no device to put an address on") == true)
        let routed = try parse(
            "dev null\nroute 10.8.0.0 255.255.0.0\nroute-ipv6 fd00:8::/64\nredirect-gateway def1\nsecret k\n")
        #expect(routed.routes.isEmpty && routed.routesIPv6.isEmpty && routed.host.redirect == nil)
        #expect(
            routed.warnings.filter { $0.message == "ignored with dev null: there is no device to route through" }
                .map(\.directive) == ["route", "route-ipv6", "redirect-gateway"])
        #expect(
            errorText { () throws(ConfigError) in try parse("dev-type nul\nsecret k\n") }
                == "t.conf:1: dev-type: bad device type 'nul' (tun, tap or null)")
    }

    /// `multihome` (openvpn 2.6) and `multihome same-interface` (2.7's name for 2.6's behaviour).
    @Test func multihomeIsAUDPSocketSetting() throws {
        #expect(try parse(Self.base + "multihome\n").compat.multihome)
        #expect(try parse(Self.base + "multihome same-interface\n").compat.multihome)
        #expect(!(try parse(Self.base).compat.multihome))
        #expect(
            errorText { () throws(ConfigError) in try parse(Self.base + "multihome any\n") }
                == "t.conf:3: multihome: bad flag 'any' (only same-interface)")
        let tcp = try parse(Self.base + "proto tcp-server\nmultihome\n")
        #expect(
            tcp.warnings.contains { $0.directive == "multihome" && $0.message.hasPrefix("no effect with proto tcp") })
    }

    // MARK: Addresses and MTU

    @Test func ifconfigIPv6WithoutBitsIsASlash64() throws {
        let config = try parse(Self.base + "ifconfig-ipv6 fd00:1::1 fd00:1::2\n")
        #expect(config.ifconfigIPv6 == IPv6Ifconfig(address: "fd00:1::1", prefixLength: 64, remote: "fd00:1::2"))
        #expect(try parse(Self.base + "ifconfig-ipv6 fd00:1::1/112 fd00:1::2\n").ifconfigIPv6?.prefixLength == 112)
        // route-ipv6 keeps /128 for a bare address, as openvpn.
        #expect(try parse(Self.base + "route-ipv6 fd00:2::5\n").routesIPv6.first?.prefixLength == 128)
    }

    @Test func lportWithFloatAndNoRemote() throws {
        let config = try parse(Self.base + "lport 1195\nfloat\n")
        #expect(config.localPort == 1195)
        #expect(config.float)
        #expect(config.remotes.isEmpty)
    }

    /// openvpn 2.6.14 measured in a namespace with `--link-mtu 1400`: the TUN MTU it set.
    @Test(arguments: [
        ("cipher AES-256-CBC\nauth SHA256\n", 1336), ("cipher AES-128-CBC\nauth SHA512\n", 1304),
        ("cipher BF-CBC\nauth SHA1\n", 1364), ("cipher none\nauth none\n", 1392), ("cipher none\nauth SHA1\n", 1372),
        ("cipher AES-256-CBC\nauth none\n", 1368), ("cipher AES-256-CBC\nauth SHA256\nno-replay\n", 1336),
        ("cipher AES-256-CBC\nauth SHA256\nproto tcp-server\n", 1334),
    ])
    func linkMTUGivesOpenVPNsTunMTU(options: String, tunMTU: Int) throws {
        let config = try parse(Self.base + options + "link-mtu 1400\n")
        #expect(config.tunMTU == tunMTU)
        #expect(config.warnings.contains { $0.directive == "link-mtu" && $0.message.hasPrefix("deprecated") })
    }

    /// openvpn 2.6.14's options string with `link-mtu 1400` (captured at verb 7): the derived MTU as tun-mtu,
    /// link-mtu from the default tun-mtu.
    @Test func linkMTUInTheOCCStringAsOpenVPN() throws {
        // Bidirectional, as captured.
        let config = try parse("dev tun\nsecret k\ncipher AES-256-CBC\nauth SHA256\nlink-mtu 1400\n")
        #expect(
            config.occOptions.localString
                == "V4,dev-type tun,link-mtu 1572,tun-mtu 1336,proto UDPv4,cipher AES-256-CBC,auth SHA256,keysize 256,secret"
        )
    }

    @Test func linkMTUAndTunMTUExcludeEachOther() {
        #expect(
            errorText { () throws(ConfigError) in try parse(Self.base + "tun-mtu 1400\nlink-mtu 1400\n") }
                == "t.conf:4: link-mtu: conflicts with tun-mtu at t.conf:3 (only one of them may be given)")
    }

    @Test func dhcpOptionsBecomeForeignOptionsInOrder() throws {
        let config = try parse(
            Self.base
                + "setenv A b\ndhcp-option DNS 10.0.0.1\ndhcp-option DOMAIN \"example.net\"\ndhcp-option DISABLE-NBT\n")
        #expect(
            config.environment.map { "\($0.name)=\($0.value)" } == [
                "A=b", "foreign_option_1=dhcp-option DNS 10.0.0.1", "foreign_option_2=dhcp-option DOMAIN example.net",
                "foreign_option_3=dhcp-option DISABLE-NBT",
            ])
        #expect(config.warnings.isEmpty)
        // dns servers replace the dhcp-option DNS entries, as openvpn 2.6 does on Linux (LifecycleOptionTests).
        let withDNS = try parse(Self.base + "dhcp-option DNS 10.0.0.1\ndns server 1 address 10.0.0.2\n")
        #expect(withDNS.warnings.isEmpty)
    }

    @Test func remoteRandomShufflesTheRemotes() throws {
        let hosts = (1...12).map { "192.0.2.\($0)" }
        let text = Self.base + hosts.map { "remote \($0)\n" }.joined() + "remote-random\n"
        var orders: Set<[String]> = []
        for _ in 0..<5 {
            let config = try parse(text)
            #expect(config.remotes.map(\.host).sorted() == hosts.sorted())
            orders.insert(config.remotes.map(\.host))
        }
        #expect(orders.count > 1, "five loads gave the same order (1 in 479001600^4 by chance)")
        #expect(try parse(Self.base + hosts.map { "remote \($0)\n" }.joined()).remotes.map(\.host) == hosts)
    }

    @Test func routeIPv6GatewayFillsRoutesWithoutOne() throws {
        let config = try parse(
            Self.base + "route-ipv6 fd01::/64\nroute-ipv6 fd02::/64 fd00::9\nroute-ipv6-gateway fd00::1\n")
        #expect(config.routesIPv6.map(\.gateway) == ["fd00::1", "fd00::9"])
        #expect(
            errorText { () throws(ConfigError) in try parse(Self.base + "route-ipv6-gateway 10.0.0.1\n") }
                == "t.conf:3: route-ipv6-gateway: bad gateway '10.0.0.1' (not an IPv6 address)")
    }

    /// Options openvpn 2.6 knows but leaves out of --help, as static-key configs in the wild carry them.
    @Test func unlistedOptionsOpenVPNAcceptsAreKnown() throws {
        let config = try parse(
            Self.base + "tun-ipv6\nncp-ciphers AES-256-GCM\nmax-routes 100\ntls-version-min 1.2\n"
                + "errors-to-stderr\ndhcp-option DNS 10.0.0.1\ncompat-mode 2.4.0\n")
        #expect(
            config.warnings.map(\.directive) == [
                "tun-ipv6", "ncp-ciphers", "max-routes", "tls-version-min", "errors-to-stderr", "compat-mode",
            ])
    }

    @Test func niceAndMlockAreRecordedForTheDaemon() throws {
        let config = try parse(Self.base + "nice -5\nmlock\n")
        #expect(config.compat.nice == -5)
        #expect(config.compat.mlock)
        #expect(try parse(Self.base + "nice 19\n").compat.nice == 19)
        #expect(
            errorText { () throws(ConfigError) in try parse(Self.base + "nice 20\n") }
                == "t.conf:3: nice: bad nice value '20' (-20..19)")
        #expect(try parse(Self.base).compat == CompatSettings())
    }

    @Test func acceptedOptionsThatStaticKeyConfigsCarry() throws {
        let config = try parse(
            Self.base + "push \"route 10.1.0.0 255.255.0.0\"\nerrors-to-stderr\nauth-nocache\nfast-io\ndisable-dco\n")
        #expect(
            config.warnings.map(\.directive) == ["push", "errors-to-stderr", "auth-nocache", "fast-io", "disable-dco"])
        #expect(config.warnings.allSatisfy { $0.message.hasPrefix("no effect: ") })
    }
}

extension OptionCatalogTests {
    @Test func socketOptionsOnTheUDPAndTCPSocket() throws {
        let config = try parse("dev tun\nsecret k\nmark 42\nbind-dev vrf-blue\nmtu-disc maybe\n")
        #expect(
            config.compat.socketMark == 42 && config.compat.bindDevice == "vrf-blue"
                && config.compat.mtuDiscovery == .maybe)
        #expect(
            errorText { () throws(ConfigError) in try parse("dev tun\nsecret k\nmark 0x2a\n") }
                == "t.conf:3: mark: bad mark '0x2a' (a decimal 32-bit number, as openvpn reads it)")
        #expect(
            errorText { () throws(ConfigError) in try parse("dev tun\nsecret k\nmtu-disc always\n") }
                == "t.conf:3: mtu-disc: bad mode 'always' (no, maybe or yes)")
        let tcp = try parse("dev tun\nproto tcp-server\nsecret k\nmark 42\nbind-dev vrf-blue\nmtu-disc yes\n")
        #expect(
            tcp.compat.socketMark == 42 && tcp.compat.bindDevice == "vrf-blue" && tcp.compat.mtuDiscovery == .yes)
    }
}
