import SwvpnConfig
import Testing

@Suite struct LexerTests {
    private func lex(_ text: String) throws(ConfigError) -> [[String]] {
        try ConfigLexer.lex(Array(text.utf8), source: "t.conf").map { [$0.name] + $0.arguments }
    }

    @Test func splitsOnWhitespaceAndTabs() throws {
        #expect(try lex("  route\t10.0.0.0   255.0.0.0 \n") == [["route", "10.0.0.0", "255.0.0.0"]])
    }

    @Test func doubleQuotesKeepSpacesAndHonourEscapes() throws {
        #expect(
            try lex(#"up "/etc/my script.sh" "say \"hi\"" "a\\b""#) == [
                ["up", "/etc/my script.sh", #"say "hi""#, #"a\b"#]
            ])
    }

    @Test func singleQuotesAreLiteral() throws {
        #expect(try lex(#"up 'c:\dir\x' 'a"b'"#) == [["up", #"c:\dir\x"#, #"a"b"#]])
    }

    @Test func backslashSpaceJoinsAToken() throws {
        #expect(try lex(#"up /etc/my\ script.sh"#) == [["up", "/etc/my script.sh"]])
    }

    @Test func commentsStartOnlyAtTokenStart() throws {
        #expect(
            try lex("# comment\n  ; also\nremote EIP#2 # trailing\nport 1194;x ;rest\n") == [
                ["remote", "EIP#2"], ["port", "1194;x"],
            ])
    }

    @Test func emptyQuotedStringIsAnArgument() throws {
        #expect(try lex(#"setenv X """#) == [["setenv", "X", ""]])
    }

    @Test func leadingDoubleDashIsDropped() throws {
        #expect(try lex("--dev tun\n--verb 3\n") == [["dev", "tun"], ["verb", "3"]])
    }

    @Test func crlfAndBOMAreTolerated() throws {
        #expect(try lex("\u{FEFF}dev tun\r\nverb 3\r\n") == [["dev", "tun"], ["verb", "3"]])
    }

    @Test func lineNumbersCountInlineBlocks() throws {
        let lines = try ConfigLexer.lex(Array("dev tun\n<secret>\na\n  b\n</secret>\nverb 3\n".utf8), source: "s.conf")
        #expect(lines.map(\.location.description) == ["s.conf:1", "s.conf:2", "s.conf:6"])
        #expect(lines[1].inlineText == "a\n  b\n")
        #expect(lines[1].inlineFirstLine == 3)
    }

    @Test func rejectsTooManyParameters() {
        let text = "setenv" + String(repeating: " x", count: 16)
        #expect(errorText { () throws(ConfigError) in try parse(text) } == "t.conf:1: too many parameters (16 max)")
    }

    @Test func rejectsTrailingBackslash() {
        #expect(errorText { () throws(ConfigError) in try parse("up /x\\") } == "t.conf:1: backslash at end of line")
    }
}

@Suite struct DirectiveTests {
    private let key = "secret k\n"

    @Test func everyTableEntryHasHelpText() {
        let names = DirectiveTable.all.map(\.name)
        #expect(Set(names).count == names.count)
        for directive in DirectiveTable.all {
            #expect(directive.synopsis.hasPrefix(directive.name))
            #expect(!directive.summary.isEmpty)
        }
        for required in [
            "dev", "proto", "remote", "secret", "keepalive", "route", "mssfix", "fragment",
            "replay-window", "compress", "comp-lzo", "data-ciphers", "setenv-opt", "mktun", "cd", "config",
        ] {
            #expect(DirectiveTable.named(required) != nil, "\(required) missing")
        }
    }

    @Test func commandLineGroupsArgumentsAtEachOption() throws {
        let config = try TunnelConfig.load(
            arguments: ["--dev", "tun", "--ifconfig", "10.8.0.1", "10.8.0.2", "--secret", "k", "1", "--float"],
            fileSystem: InMemoryFileSystem())
        #expect(config.sourceName == "command line")
        #expect(config.ifconfig?.remoteOrNetmask.description == "10.8.0.2")
        #expect(config.keyDirection == .inverse)
        #expect(config.float)
    }

    @Test func commandLineErrorsNameTheOption() {
        let fs = InMemoryFileSystem()
        #expect(
            errorText { () throws(ConfigError) in
                try TunnelConfig.load(arguments: ["--secret", "k", "--port", "0"], fileSystem: fs)
            } == "command line: --port: port 0 is out of range 1..65535")
        #expect(
            errorText { () throws(ConfigError) in
                try TunnelConfig.load(arguments: ["dev", "tun"], fileSystem: fs)
            } == "command line: 'dev': options must start with --")
        #expect(
            errorText { () throws(ConfigError) in
                try TunnelConfig.load(arguments: ["--dev", "tun"], fileSystem: fs)
            } == "command line: no secret: swvpnd only runs static-key tunnels")
    }

    @Test func commandLineOverridesConfigFileInOrder() throws {
        let fs = InMemoryFileSystem(["a.conf": "dev tun\nsecret k\nverb 3\n"])
        let config = try TunnelConfig.load(arguments: ["--config", "a.conf", "--verb", "5"], fileSystem: fs)
        #expect(config.verbosity == 5)
        #expect(config.sourceName == "a.conf")
        let single = try TunnelConfig.load(arguments: ["a.conf"], fileSystem: fs)
        #expect(single.verbosity == 3)
    }

    /// systemd's ExecStart puts flags first; the tunnel is still named after its config file.
    @Test func configAnywhereOnTheCommandLineNamesTheTunnel() throws {
        let fs = InMemoryFileSystem(["/etc/swvpnd/x.conf": "dev tun\nsecret k\n", "y.conf": "verb 4\n"])
        let late = try TunnelConfig.load(
            arguments: [
                "--suppress-timestamps", "--verb", "3", "--config", "/etc/swvpnd/x.conf", "--config", "y.conf",
            ],
            fileSystem: fs)
        #expect(late.sourceName == "/etc/swvpnd/x.conf")
        #expect(late.suppressTimestamps)
        #expect(late.verbosity == 4)
        #expect(
            errorText { () throws(ConfigError) in
                try TunnelConfig.load(
                    arguments: ["--suppress-timestamps", "--config", "/etc/swvpnd/x.conf", "--port", "0"],
                    fileSystem: fs)
            } == "command line: --port: port 0 is out of range 1..65535")
        // A key problem names the config, not "command line".
        #expect(
            errorText { () throws(ConfigError) in
                try TunnelConfig.load(arguments: ["--verb", "3", "--config", "y.conf"], fileSystem: fs)
            }?.hasPrefix("y.conf: ") == true)
    }

    @Test func cdResolvesLaterRelativePaths() throws {
        let fs = InMemoryFileSystem(["/etc/openvpn/inc.conf": "secret ovpn.key\nstatus st.log\n"])
        let config = try parse(
            "writepid early.pid\ncd /etc/openvpn\nconfig inc.conf\nreplay-persist r\nup /bin/up\n",
            files: fs.files.mapValues { String(decoding: $0, as: UTF8.self) })
        #expect(config.writePIDPath == "early.pid")
        #expect(config.directory == "/etc/openvpn")
        #expect(config.status?.path == "/etc/openvpn/st.log")
        #expect(config.replayPersistPath == "/etc/openvpn/r")
        #expect(config.upCommand == "/bin/up")
        guard case .file(let path, _, let location) = config.keySource else {
            Issue.record("expected key file")
            return
        }
        #expect(path == "/etc/openvpn/ovpn.key")
        #expect(location.description == "/etc/openvpn/inc.conf:1")
    }

    @Test func nestedIncludesStopAtTheDepthLimit() {
        var files: [String: String] = [:]
        for level in 0..<12 { files["l\(level).conf"] = "config l\(level + 1).conf\n" }
        #expect(
            errorText { () throws(ConfigError) in try parse("config l0.conf\n", files: files) }
                == "l8.conf:1: config: too many nested includes (10 max) reading 'l9.conf'")
    }

    @Test func selfIncludeIsACycle() {
        #expect(
            errorText { () throws(ConfigError) in try parse("config t.conf\n", files: ["t.conf": "x"]) }
                == "t.conf:1: config: include cycle: t.conf -> t.conf")
    }

    @Test func routeKeywordsAndDefaults() throws {
        let config = try parse(
            """
            dev tun
            secret k
            ifconfig 10.8.0.1 10.8.0.2
            route-metric 5
            route 10.1.0.0 255.255.0.0
            route 10.2.0.0 255.255.0.0 vpn_gateway 7
            route 10.3.0.0 255.255.0.0 net_gateway
            route 10.4.0.0 255.255.0.0 remote_host default
            route 10.5.0.1
            route 10.6.0.0 255.255.255.0 10.8.0.9
            """)
        #expect(
            config.routes.map(\.gateway) == [
                .address(IPv4Address("10.8.0.2")!), .address(IPv4Address("10.8.0.2")!), .netGateway, .remoteHost,
                .address(IPv4Address("10.8.0.2")!), .address(IPv4Address("10.8.0.9")!),
            ])
        #expect(config.routes.map(\.metric) == [5, 7, 5, 5, 5, 5])
        #expect(config.routes.map(\.prefixLength) == [16, 16, 16, 16, 32, 24])
    }

    @Test func routeGatewayBeatsIfconfigPeer() throws {
        let config = try parse(
            "secret k\nifconfig 10.8.0.1 10.8.0.2\nroute 10.1.0.0 255.255.0.0\nroute-gateway 10.8.0.5\n")
        #expect(config.routes.first?.gateway == .address(IPv4Address("10.8.0.5")!))
    }

    @Test func portsResolveAgainstPortLportRport() throws {
        let config = try parse("secret k\nport 2000\nlport 3000\nremote a\nremote b 4000 tcp-client\nrport 5000\n")
        #expect(config.localPort == 3000)
        #expect(
            config.remotes == [
                RemoteEndpoint(host: "a", port: 5000),
                RemoteEndpoint(host: "b", port: 4000, transport: .tcpClient, addressFamily: .any),
            ])
    }

    @Test func protoVariantsSetFamily() throws {
        #expect(try parse("secret k\nproto udp6\n").addressFamily == .ipv6)
        let tcp = try parse("secret k\nproto tcp4-server\n")
        #expect(tcp.transport == .tcpServer)
        #expect(tcp.addressFamily == .ipv4)
        #expect(try parse("secret k\nproto tcp6-client\n").transport == .tcpClient)
    }

    @Test func pingOptionsWithoutKeepalive() throws {
        let config = try parse("secret k\nping 10\nping-exit 60\nping-timer-rem\n")
        #expect(config.ping.interval == 10)
        #expect(config.ping.timeout == 60)
        #expect(config.ping.timeoutAction == .exit)
        #expect(config.ping.timerNeedsRemote)
    }

    @Test func compressionVariantsMapToFraming() throws {
        #expect(try parse("secret k\ncompress stub-v2\n").compression == .stubV2)
        #expect(try parse("secret k\ncompress lzo\n").compression == .lzoPrefix)
        #expect(try parse("secret k\ncomp-lzo\n").compression == .lzoPrefix)
        let migrate = try parse("secret k\ncompress migrate\n")
        #expect(migrate.compression == .none)
        #expect(!migrate.compressionInOCC)
    }

    @Test func warningsForDeprecationsAndNoEffectOptions() throws {
        let config = try parse(
            """
            secret k 1
            cipher bf-cbc
            data-ciphers AES-256-GCM
            user nobody
            no-replay
            daemon
            """)
        #expect(
            config.warnings.map(\.description) == [
                "t.conf:2: cipher: BF-CBC has a 64-bit block size (SWEET32); OpenVPN 2.7 drops it, use AES-256-CBC",
                "t.conf:3: data-ciphers: TLS-mode option, no effect in static-key mode",
                "t.conf:5: no-replay: deprecated: disables replay protection (removed in OpenVPN 2.7)",
                "t.conf:6: daemon: swvpnd does not fork; run it in the foreground under systemd",
                "t.conf:4: user: without persist-tun and persist-key, restarts may fail after dropping privileges",
            ])
    }

    @Test func miscellaneousDirectivesAreRecorded() throws {
        let config = try parse(
            """
            secret k
            tun-mtu 1400 1500
            mssfix 1300 fixed
            fragment 1200 mtu
            replay-window 128 30
            setenv-opt block-outside-dns 1
            topology subnet
            ifconfig 10.8.0.1 255.255.255.0
            ifconfig-ipv6 fd00::1/64 fd00::2
            route-ipv6 fd01::/48
            route-delay 2
            txqueuelen 500
            connect-retry 5 60
            allow-deprecated-insecure-static-crypto
            mode p2p
            """)
        #expect(config.tunMTU == 1400)
        #expect(config.occTunMTU == 1500)
        #expect(config.mssFix == .value(1300, .fixed))
        #expect(config.fragment == 1200 && config.fragmentCountsOuterHeaders)
        #expect(config.replay == .window(size: 128, seconds: 30))
        #expect(config.environment == [EnvironmentSetting(name: "block-outside-dns", value: "1", optional: true)])
        #expect(config.topology == .subnet)
        #expect(config.ifconfigIPv6 == IPv6Ifconfig(address: "fd00::1", prefixLength: 64, remote: "fd00::2"))
        #expect(config.routesIPv6.first?.prefixLength == 48)
        #expect(config.routeDelay == RouteDelay(seconds: 2, windowSeconds: 30))
        #expect(config.connectRetry == ConnectRetry(seconds: 5, maxSeconds: 60))
        #expect(config.allowDeprecatedInsecureStaticCrypto)
    }
}
