import Foundation
import Testing

/// Everything that builds tunnels lives under this one serialized suite: tunnels must never run in
/// parallel on the 2-core CI machine.
@Suite(.serialized)
struct IntegrationTests {}

extension IntegrationTests {
    /// Issue text: "swvpnd ↔ real openvpn 2.6, swvpnd in either role, and swvpnd ↔ swvpnd".
    @Suite(.serialized)
    struct InteropMatrix {
        /// The full seed check for one pair and one cipher case: ping both ways between the private hosts,
        /// 20 MiB verified TCP each way, the route to the far VPC is the tunnel, and the logs stay clean.
        static func runCase(a: Implementation, b: Implementation, cipher: CipherCase) throws {
            try Prerequisites.requireBase()
            if a == .swvpnd || b == .swvpnd { _ = try Prerequisites.swvpndBinary() }
            let lab = try NetnsLab()
            defer { lab.teardown() }
            let seed = try SeedLab(lab: lab)
            let key = try seed.generateKey()
            let peers = try seed.startTunnel(a: a, b: b, cipher: cipher, keyPath: key)
            try seed.assertCarriesVerifiedTraffic(peers)
        }

        /// The lab itself, with openvpn on both ends and the seed's config as-is. The cipher cases only
        /// change openvpn's own directives, which the interop cases below cover with swvpnd on one end,
        /// so one case is enough to prove the harness (and saves CI about 45 s).
        @Test(arguments: [CipherCase.defaultBFCBCLegacy])
        func openvpnToOpenvpnHarnessSelfCheck(_ cipher: CipherCase) throws {
            try Self.runCase(a: .openvpn, b: .openvpn, cipher: cipher)
        }

        @Test(arguments: CipherCase.allCases)
        func swvpndOnAInteroperatesWithOpenvpnOnB(_ cipher: CipherCase) throws {
            try Self.runCase(a: .swvpnd, b: .openvpn, cipher: cipher)
        }

        @Test(arguments: CipherCase.allCases)
        func openvpnOnAInteroperatesWithSwvpndOnB(_ cipher: CipherCase) throws {
            try Self.runCase(a: .openvpn, b: .swvpnd, cipher: cipher)
        }

        @Test(arguments: CipherCase.allCases)
        func swvpndInteroperatesWithSwvpnd(_ cipher: CipherCase) throws {
            try Self.runCase(a: .swvpnd, b: .swvpnd, cipher: cipher)
        }
    }
}
