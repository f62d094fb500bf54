import SwvpnConfig
import SwvpnProtocol
import Testing

@Suite struct ProtocolMappingTests {
    /// The OCC_REPLY string each peer of the golden vectors really sent (openvpn 2.6.14), by
    /// config file; also in PROTOCOL.md §7.3.
    static let sentStrings: [String: String] = [
        "default-bf-cbc-sha1-udp-A.conf":
            "V4,dev-type tun,link-mtu 1544,tun-mtu 1500,proto UDPv4,ifconfig 10.8.0.2 10.8.0.1,cipher BF-CBC,auth SHA1,keysize 128,secret",
        "default-bf-cbc-sha1-udp-B.conf":
            "V4,dev-type tun,link-mtu 1544,tun-mtu 1500,proto UDPv4,ifconfig 10.8.0.1 10.8.0.2,cipher BF-CBC,auth SHA1,keysize 128,secret",
        "aes-256-cbc-sha256-keydir-udp-A.conf":
            "V4,dev-type tun,link-mtu 1572,tun-mtu 1500,proto UDPv4,ifconfig 10.8.0.2 10.8.0.1,keydir 0,cipher AES-256-CBC,auth SHA256,keysize 256,secret",
        "aes-256-cbc-sha256-keydir-udp-B.conf":
            "V4,dev-type tun,link-mtu 1572,tun-mtu 1500,proto UDPv4,ifconfig 10.8.0.1 10.8.0.2,keydir 1,cipher AES-256-CBC,auth SHA256,keysize 256,secret",
        "aes-256-cbc-sha256-keydir-tcp-A.conf":
            "V4,dev-type tun,link-mtu 1574,tun-mtu 1500,proto TCPv4_SERVER,ifconfig 10.8.0.2 10.8.0.1,keydir 0,cipher AES-256-CBC,auth SHA256,keysize 256,secret",
        "aes-256-cbc-sha256-keydir-tcp-B.conf":
            "V4,dev-type tun,link-mtu 1574,tun-mtu 1500,proto TCPv4_CLIENT,ifconfig 10.8.0.1 10.8.0.2,keydir 1,cipher AES-256-CBC,auth SHA256,keysize 256,secret",
        "aes-128-cbc-sha512-complzo-no-inline-udp-A.conf":
            "V4,dev-type tun,link-mtu 1605,tun-mtu 1500,proto UDPv4,ifconfig 10.8.0.2 10.8.0.1,comp-lzo,keydir 0,cipher AES-128-CBC,auth SHA512,keysize 128,secret",
        "aes-128-cbc-sha512-complzo-no-inline-udp-B.conf":
            "V4,dev-type tun,link-mtu 1605,tun-mtu 1500,proto UDPv4,ifconfig 10.8.0.1 10.8.0.2,comp-lzo,keydir 1,cipher AES-128-CBC,auth SHA512,keysize 128,secret",
        "aes-256-cbc-sha256-compress-stub-occ-mismatch-udp-A.conf":
            "V4,dev-type tun,link-mtu 1573,tun-mtu 1500,proto UDPv4,ifconfig 10.8.0.2 10.8.0.1,comp-lzo,keydir 0,cipher AES-256-CBC,auth SHA256,keysize 256,secret",
        "aes-256-cbc-sha256-compress-stub-occ-mismatch-udp-B.conf":
            "V4,dev-type tun,link-mtu 1473,tun-mtu 1400,proto UDPv4,ifconfig 10.8.0.1 10.8.0.2,comp-lzo,keydir 1,cipher AES-256-CBC,auth SHA256,keysize 256,secret",
        "aes-256-cbc-sha256-noreplay-fragment-udp-A.conf":
            "V4,dev-type tun,link-mtu 1568,tun-mtu 1500,proto UDPv4,ifconfig 10.8.0.2 10.8.0.1,mtu-dynamic,keydir 0,cipher AES-256-CBC,auth SHA256,keysize 256,secret,no-replay",
        "aes-256-cbc-sha256-noreplay-fragment-udp-B.conf":
            "V4,dev-type tun,link-mtu 1568,tun-mtu 1500,proto UDPv4,ifconfig 10.8.0.1 10.8.0.2,mtu-dynamic,keydir 1,cipher AES-256-CBC,auth SHA256,keysize 256,secret,no-replay",
        "cipher-none-auth-none-udp-A.conf":
            "V4,dev-type tun,link-mtu 1508,tun-mtu 1500,proto UDPv4,ifconfig 10.8.0.2 10.8.0.1,cipher [null-cipher],auth [null-digest],keysize 0,secret",
        "cipher-none-auth-none-udp-B.conf":
            "V4,dev-type tun,link-mtu 1508,tun-mtu 1500,proto UDPv4,ifconfig 10.8.0.1 10.8.0.2,cipher [null-cipher],auth [null-digest],keysize 0,secret",
    ]

    @Test func everyVectorConfigHasACapturedString() {
        #expect(Set(Corpus.files("vectors", suffix: ".conf")) == Set(Self.sentStrings.keys))
    }

    @Test(arguments: Corpus.files("vectors", suffix: ".conf"))
    func vectorConfigMapsToTheOCCStringThePeerSent(name: String) throws {
        let occ = try Corpus.load("vectors", name).occOptions
        #expect(occ.localString == Self.sentStrings[name])
        // What this peer expects is what the other peer sent, except where the capture was made
        // to mismatch (B has tun-mtu 1400).
        let other =
            name.hasSuffix("-A.conf")
            ? name.replacingOccurrences(of: "-A.conf", with: "-B.conf")
            : name.replacingOccurrences(of: "-B.conf", with: "-A.conf")
        if name.contains("occ-mismatch") {
            #expect(occ.expectedRemoteString != Self.sentStrings[other])
        } else {
            #expect(occ.expectedRemoteString == Self.sentStrings[other])
        }
    }

    // MARK: MSS limits (PROTOCOL.md §9.3)

    static func settings(_ name: String, underlay: UnderlayFamily = .ipv4) throws -> PacketPathSettings {
        try Corpus.load("vectors", name).packetPathSettings(underlay: underlay)
    }

    @Test func mssLimitsOfTheVerifiedConfigs() throws {
        #expect(try Self.settings("aes-256-cbc-sha256-keydir-udp-A.conf").mssLimit == 1359)
        #expect(try Self.settings("default-bf-cbc-sha1-udp-A.conf").mssLimit == 1383)
        #expect(try Self.settings("aes-128-cbc-sha512-complzo-no-inline-udp-B.conf").mssLimit == 1326)
        // Listening without a known peer: openvpn sizes for an IPv6 underlay.
        #expect(try Self.settings("aes-256-cbc-sha256-keydir-udp-A.conf", underlay: .unknown).mssLimit == 1343)
        #expect(try Self.settings("aes-256-cbc-sha256-keydir-udp-A.conf", underlay: .ipv6).mssLimit == 1343)
        // Computed (PROTOCOL.md §9.3): none/none 1416; tun-mtu 1400 without mssfix clamps to tun-mtu − 40.
        #expect(try Self.settings("cipher-none-auth-none-udp-A.conf").mssLimit == 1416)
        #expect(try Self.settings("aes-256-cbc-sha256-compress-stub-occ-mismatch-udp-B.conf").mssLimit == 1360)
    }

    static let seedA = """
        dev tun
        remote 10.77.0.2
        ifconfig 10.8.0.1 10.8.0.2
        secret static.key 0
        cipher AES-256-CBC
        auth SHA256

        """

    @Test(
        arguments: [
            ("mssfix 0", nil),
            ("mssfix", 1359),
            ("mssfix 1492 mtu", 1359),
            ("mssfix 1450", 1343),  // 1450 − 48 = 1402 → 1391 − 48
            ("mssfix 1400 fixed", 1360),
            ("tun-mtu 1400", 1360),
            ("tun-mtu 1400\nmssfix 1492 mtu", 1359),
        ] as [(String, Int?)])
    func mssfixDirectivesReachTheClamp(line: String, limit: Int?) throws {
        let config = try parse(Self.seedA + line + "\n")
        #expect(config.packetPathSettings(underlay: .ipv4).mssLimit == limit)
    }

    // MARK: Packet path settings

    @Test func fragmentVectorConfigSplitsLikeOpenVPN() throws {
        let settings = try Self.settings("aes-256-cbc-sha256-noreplay-fragment-udp-A.conf")
        #expect(settings.layout.replayProtection == false)
        // 1000 − 48 (HMAC + IV) = 952 → 943 whole CBC blocks less a pad byte, − 4 fragment header.
        #expect(settings.maxFragmentSize == 939)
        // The captured 1428-byte ping went out as 716 + 712.
        var splitter = FragmentSplitter(maxFragmentSize: try #require(settings.maxFragmentSize), initialSequenceID: 39)
        let planned = splitter.plan(length: 1428)
        let plan = try #require(planned)
        #expect(plan.count == 2 && plan.pieceSize == 716 && plan.sequenceID == 40)
        #expect(settings.compression == .none)
        #expect(settings.tcpFraming == false)
    }

    @Test func fragmentMtuCountsTheOuterHeaders() throws {
        let plain = try parse(Self.seedA + "fragment 1000\n").packetPathSettings(underlay: .ipv4)
        let mtu = try parse(Self.seedA + "fragment 1000 mtu\n")
        // 952 → 943 − 4 − 8 (packet-id in every piece) = 931; with IPv4 + UDP (28) 924 → 911 − 12 = 899.
        #expect(plain.maxFragmentSize == 931)
        #expect(mtu.packetPathSettings(underlay: .ipv4).maxFragmentSize == 899)
        #expect(mtu.packetPathSettings(underlay: .ipv6).maxFragmentSize == 883)
    }

    @Test func tinyFragmentSizeNeverGoesBelowOnePiece() throws {
        let config = try parse(Self.seedA.replacingOccurrences(of: "SHA256", with: "SHA512") + "fragment 68 mtu\n")
        #expect(config.packetPathSettings(underlay: .unknown).maxFragmentSize == 4)
    }

    @Test func compressionAndTransportReachThePath() throws {
        let tcp = try Self.settings("aes-256-cbc-sha256-keydir-tcp-A.conf")
        #expect(tcp.tcpFraming && tcp.linkHeadroom == 2)
        #expect(tcp.mssLimit == 1343)  // 1492 − (48 + 2 + 40) = 1402 → 1391 − 48
        #expect(tcp.maxFragmentSize == nil)
        #expect(try Self.settings("aes-128-cbc-sha512-complzo-no-inline-udp-A.conf").compression == .lzoPrefix)
        let stub = try Self.settings("aes-256-cbc-sha256-compress-stub-occ-mismatch-udp-B.conf")
        #expect(stub.compression == .stubSwap && stub.tunMTU == 1400)
        #expect(try parse(Self.seedA + "compress stub-v2\n").packetPathSettings(underlay: .ipv4).compression == .stubV2)
    }

    @Test func compressMigrateFramesNothingAndIsNotAnnounced() throws {
        let config = try parse(Self.seedA + "compress migrate\n")
        #expect(config.packetPathSettings(underlay: .ipv4).compression == .none)
        #expect(config.occOptions.compression == .none)
        #expect(!config.occOptions.localString.contains("comp-lzo"))
        #expect(try parse(Self.seedA + "compress stub-v2\n").occOptions.localString.contains(",comp-lzo,"))
    }

    // MARK: Other OCC items

    @Test func ifconfigIPv6AddsTunIPv6() throws {
        let config = try parse(Self.seedA + "ifconfig-ipv6 fd00::1/64 fd00::2\n")
        #expect(
            config.occOptions.localString
                == "V4,dev-type tun,link-mtu 1572,tun-mtu 1500,proto UDPv4,tun-ipv6,ifconfig 10.8.0.2 10.8.0.1,keydir 0,cipher AES-256-CBC,auth SHA256,keysize 256,secret"
        )
    }

    @Test func ifconfigNoWarnTopologyAndOCCMTU() throws {
        #expect(try !parse(Self.seedA + "ifconfig-nowarn\n").occOptions.localString.contains("ifconfig"))
        let subnet = try parse(
            Self.seedA.replacingOccurrences(of: "ifconfig 10.8.0.1 10.8.0.2", with: "ifconfig 10.8.0.1 255.255.255.0")
                + "topology subnet\n")
        #expect(subnet.occOptions.localString.contains(",ifconfig 10.8.0.0 255.255.255.0,"))
        let occMTU = try parse(Self.seedA + "tun-mtu 1400 1500\n").occOptions
        #expect(occMTU.localString.contains(",link-mtu 1472,tun-mtu 1500,"))
    }
}
