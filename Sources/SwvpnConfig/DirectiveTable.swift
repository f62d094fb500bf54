import SwvpnProtocol

/// Every directive swvpnd knows. Anything not listed here is an error ("unknown directive").
public enum DirectiveTable {
    public static func named(_ name: String) -> Directive? { index[name] }

    private static let index: [String: Directive] = {
        var map: [String: Directive] = [:]
        for directive in all + OpenVPNOptionCatalog.directives { map[directive.name] = directive }
        return map
    }()

    static func flag(
        _ name: String, _ summary: String,
        _ set: @escaping @Sendable (inout TunnelConfig) -> Void
    ) -> Directive {
        Directive(name, 0...0, name, summary) { b, _ in set(&b.config) }
    }

    static func noEffect(
        _ name: String, _ args: ClosedRange<Int>, _ synopsis: String,
        _ summary: String, _ why: String
    ) -> Directive {
        Directive(name, args, synopsis, summary, status: .noEffect) { b, inv in b.warn(inv.location, inv.name, why) }
    }

    static func rejected(
        _ name: String, _ args: ClosedRange<Int>, _ synopsis: String,
        _ summary: String, _ why: String
    ) -> Directive {
        Directive(name, args, synopsis, summary, status: .rejected) { _, inv throws(ConfigError) in throw inv.error(why)
        }
    }

    static let tlsMode = "TLS mode is not supported"

    public static let all: [Directive] =
        filesAndProcess + device + transport + addressesAndRoutes + crypto + livenessMonitoringAndTLS
}
