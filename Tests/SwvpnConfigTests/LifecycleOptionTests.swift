import SwvpnConfig
import Testing

/// The lifecycle and script options read as openvpn 2.6 reads them.
struct LifecycleOptionTests {
    private static let base = "dev tun\nsecret k 0\n"

    @Test func scriptHooksAndTimersAreRecorded() throws {
        let config = try parse(
            Self.base
                + "cd /etc/openvpn\nroute-up \"scripts/up.sh arg\"\nroute-pre-down /bin/pre\nipchange ./ip.sh\n"
                + "up-restart\ninactive 600 100000\nconnect-retry-max 3\nconnect-timeout 20\nremap-usr1 SIGHUP\n")
        let l = config.lifecycle
        #expect(l.routeUpCommand == "/etc/openvpn/scripts/up.sh arg")
        #expect(l.routePreDownCommand == "/bin/pre")
        #expect(l.ipchangeCommand == "/etc/openvpn/./ip.sh")
        #expect(l.upRestart)
        #expect(l.inactive == LifecycleSettings.Inactivity(seconds: 600, minimumBytes: 100_000))
        #expect(l.connectRetryMax == 3 && l.connectTimeoutSeconds == 20)
        #expect(l.remapUser1 == .hangUp)
        #expect(try parse(Self.base).lifecycle == LifecycleSettings())
        // openvpn: 0 turns inactive and connect-retry-max off; a negative byte count is 0.
        let off = try parse(Self.base + "inactive 0\nconnect-retry-max 0\n").lifecycle
        #expect(off.inactive == nil && off.connectRetryMax == nil)
        #expect(try parse(Self.base + "inactive 5 -3\n").lifecycle.inactive?.minimumBytes == 0)
        #expect(config.warnings.map(\.directive) == ["route-up", "route-pre-down", "ipchange"], "script-security 1")
        #expect(try parse(Self.base + "script-security 2\nroute-up /bin/true\n").warnings.isEmpty)
    }

    @Test func badValuesNameTheirDirective() {
        let cases = [
            ("remap-usr1 SIGINT", "t.conf:3: remap-usr1: bad signal 'SIGINT' (SIGHUP or SIGTERM)"),
            ("route-up \"unclosed", nil),
            ("dns server 1 address 10.0.0.300", "malformed address"),
            ("dns server 1 dnssec maybe", "bad dnssec value 'maybe'"),
            ("dns server 200 address 10.0.0.1", "bad server priority '200'"),
            ("dns server 1 transport DoH", "server 1 does not have an address assigned"),
            ("dns nameserver 10.0.0.1", "unknown option type 'nameserver'"),
        ]
        for (line, expected) in cases {
            let text = errorText { () throws(ConfigError) in try parse(Self.base + line + "\n") }
            #expect(text != nil, "\(line) accepted")
            if let expected { #expect(text?.contains(expected) == true, "\(line): \(text ?? "")") }
        }
    }

    /// openvpn 2.6's dns_* variables: servers in priority order, ports only where given, IPv6 as
    /// inet_ntop prints it; its addresses and search domains replace the DNS entries of foreign_option_N.
    @Test func dnsBecomesOpenVPNsScriptEnvironment() throws {
        let config = try parse(
            Self.base + "setenv A b\ndhcp-option DNS 10.9.9.9\ndhcp-option DOMAIN corp\ndhcp-option DNS6 fd00::9\n"
                + "dhcp-option DOMAIN-SEARCH old.example\n"
                + "dns server 5 address [FD00:0:0::0053]:853 10.0.0.2\ndns server 5 transport DoT\n"
                + "dns server -1 address 10.0.0.1:5353\ndns server -1 resolve-domains a.example b.example\n"
                + "dns server -1 dnssec no\ndns server 5 sni dns.example\ndns search-domains x.example y.example\n")
        #expect(
            config.environment.map { "\($0.name)=\($0.value)" } == [
                "A=b",
                "foreign_option_1=dhcp-option DOMAIN corp",
                "foreign_option_2=dhcp-option DNS 10.0.0.1",
                "foreign_option_3=dhcp-option DNS6 fd00::53",
                "foreign_option_4=dhcp-option DNS 10.0.0.2",
                "foreign_option_5=dhcp-option DOMAIN-SEARCH x.example",
                "foreign_option_6=dhcp-option DOMAIN-SEARCH y.example",
                "dns_search_domain_1=x.example", "dns_search_domain_2=y.example",
                "dns_server_1_address_1=10.0.0.1", "dns_server_1_port_1=5353",
                "dns_server_1_resolve_domain_1=a.example", "dns_server_1_resolve_domain_2=b.example",
                "dns_server_1_dnssec=no",
                "dns_server_2_address_1=fd00::53", "dns_server_2_port_1=853", "dns_server_2_address_2=10.0.0.2",
                "dns_server_2_transport=DoT", "dns_server_2_sni=dns.example",
            ])
        #expect(config.warnings.isEmpty)
        // Search domains alone leave the DNS entries alone.
        let domains = try parse(Self.base + "dhcp-option DNS 10.9.9.9\ndns search-domains z.example\n")
        #expect(
            domains.environment.map(\.value) == [
                "dhcp-option DNS 10.9.9.9", "dhcp-option DOMAIN-SEARCH z.example", "z.example",
            ])
    }

    @Test(arguments: [
        ("::", "::"), ("::1", "::1"), ("FD00:0:0:0:0:0:0:53", "fd00::53"), ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
        ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"), ("::ffff:10.1.2.3", "::ffff:10.1.2.3"), ("::10.1.2.3", "::10.1.2.3"),
        ("2001:db8::", "2001:db8::"), ("0:0:1::", "0:0:1::"),
    ])
    func ipv6TextAsInetNtopPrintsIt(input: String, expected: String) {
        #expect(IPv6Text.canonical(input) == expected)
    }
}
