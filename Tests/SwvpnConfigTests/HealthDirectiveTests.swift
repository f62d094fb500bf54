import SwvpnConfig
import Testing

@Suite struct HealthDirectiveTests {

    func parse(_ extra: String) throws -> TunnelConfig {
        try TunnelConfig.parse(
            text: extra + "\ndev tun\nifconfig 10.8.0.1 10.8.0.2\nsecret k.key 0\n", source: "t.conf")
    }

    @Test func offByDefault() throws {
        let c = try parse("")
        #expect(c.health == HealthSettings())
    }

    @Test func healthListenAndProbe() throws {
        var c = try parse("health-listen 127.0.0.1 9194\nhealth-probe")
        #expect(c.health.listen == .init(host: "127.0.0.1", port: 9194))
        #expect(c.health.probeIntervalSeconds == 1)
        #expect(c.warnings.isEmpty)
        c = try parse("health-probe 5")
        #expect(c.health.probeIntervalSeconds == 5)
        #expect(throws: ConfigError.self) { try parse("health-probe 0") }
        #expect(throws: ConfigError.self) { try parse("health-listen 127.0.0.1 0") }
    }

    /// The probe pings the peer's `ifconfig` address: without point-to-point addresses it is refused at its line.
    @Test func probeNeedsPointToPointIfconfig() throws {
        func error(_ text: String) -> String? {
            do {
                _ = try TunnelConfig.parse(text: text + "secret k.key 0\n", source: "p.conf")
                return nil
            } catch {
                return "\(error)"
            }
        }
        let cases = [
            ("dev tap\nifconfig 10.8.0.1 255.255.255.0\nhealth-probe 2\n", "p.conf:3:", "tap device"),
            (
                "dev tun\ntopology subnet\nhealth-probe\nifconfig 10.8.0.1 255.255.255.0\n", "p.conf:3:",
                "topology subnet"
            ),
            ("dev tun\nhealth-probe\n", "p.conf:2:", "no ifconfig"),
        ]
        for (text, line, why) in cases {
            let message = error(text)
            #expect(message?.hasPrefix("\(line) health-probe: needs 'dev tun' with point-to-point") == true, "\(text)")
            #expect(message?.contains(why) == true, "\(message ?? "accepted")")
        }
        #expect(error("dev tun\ntopology p2p\nifconfig 10.8.0.1 10.8.0.2\nhealth-probe\n") == nil)
        #expect(error("dev tun\nifconfig 10.8.0.1 10.8.0.2\nhealth-probe\n") == nil)
    }

    /// `--check-config` prints warnings: a listener reachable from the network must be restricted.
    @Test func nonLoopbackListenerIsFlagged() throws {
        let c = try parse("health-listen 10.0.0.5 9194")
        #expect(c.warnings.count == 1)
        #expect(c.warnings.first?.description.contains("security group") == true)
        #expect(c.warnings.first?.description.hasPrefix("t.conf:1:") == true)
    }

    @Test func management() throws {
        var c = try parse("management 127.0.0.1 7505 pw.txt\nmanagement-client-user root\nmanagement-client-group adm")
        #expect(
            c.health.management == .init(endpoint: .tcp(.init(host: "127.0.0.1", port: 7505)), passwordFile: "pw.txt"))
        #expect(c.health.managementClientUser == "root" && c.health.managementClientGroup == "adm")
        c = try parse("management /run/swvpnd/m.sock unix")
        #expect(c.health.management == .init(endpoint: .unix(path: "/run/swvpnd/m.sock"), passwordFile: nil))
        #expect(throws: ConfigError.self) { try parse("management 127.0.0.1 notaport") }
    }
}
