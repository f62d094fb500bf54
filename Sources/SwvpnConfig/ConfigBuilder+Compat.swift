import SwvpnProtocol

/// What the openvpn-compatibility directives (`dev`/`dev-type` names, `link-mtu`,
/// `ignore-unknown-option`) remember until `finish()`.
struct CompatState {
    /// `ignore-unknown-option name...`: unknown directives named here become warnings.
    var ignoredUnknownOptions: Set<String> = []
    /// `link-mtu n` and where it was given.
    var linkMTU: (Int, ConfigLocation)?
    /// `dev NAME` whose name does not say its type (`vtun0`, `ovpns1`): needs `dev-type tun`.
    var untypedDevice: (String, ConfigLocation)?
    /// `dev-type tun` was given.
    var deviceTypeTun = false
    /// `route-ipv6-gateway`: the gateway of `route-ipv6` lines without one.
    var routeIPv6Gateway: String?
    /// `dhcp-option` lines so far (their foreign_option_N number).
    var foreignOptions = 0
}

/// Process settings of openvpn options the daemon applies at start (`nice`, `mlock`).
public struct CompatSettings: Sendable, Hashable {
    /// `nice n`: setpriority at start, nil to leave the priority alone.
    public var nice: Int?
    /// `mlock`: mlockall(MCL_CURRENT | MCL_FUTURE) at start.
    public var mlock = false
    /// `link-mtu n` as given (the TUN MTU is already derived from it); it changes the OCC string.
    public var linkMTU: Int?

    public init() {}
}

extension ConfigBuilder {
    static let tapNotYet = "tap devices are not supported yet (only tun)"

    /// `dev NAME`, as openvpn reads it: `tun`/`tunN` is a TUN device, `tap…` a TAP device, `null` no
    /// device at all; any other name is the device's own name and `dev-type` gives its type.
    mutating func setDevice(_ inv: Invocation) throws(ConfigError) {
        let name = inv.arguments[0]
        if name.hasPrefix("tap") { throw inv.error(Self.tapNotYet) }
        if name == "null" {
            throw inv.error("dev null (a tunnel without a device, for openvpn's tests) is not supported: swvpnd needs a tun device")
        }
        guard !name.isEmpty, name.utf8.count < 16, !name.contains("/"), !name.contains(where: { $0 == " " || $0 == "%" }) else {
            throw inv.error("bad device name '\(name)' (1 to 15 characters, no '/', blank or '%')")
        }
        compat.untypedDevice = name.hasPrefix("tun") ? nil : (name, inv.location)
        config.device = name
    }

    /// `dev-type tun|tap|null`.
    mutating func setDeviceType(_ inv: Invocation) throws(ConfigError) {
        switch inv.arguments[0] {
        case "tun": compat.deviceTypeTun = true
        case "tap": throw inv.error(Self.tapNotYet)
        case "null": throw inv.error("dev-type null is not supported: swvpnd needs a tun device")
        default: throw inv.error("bad device type '\(inv.arguments[0])' (tun or tap)")
        }
    }

    /// `ignore-unknown-option`: openvpn turns an unknown directive named there into a warning.
    mutating func ignoreUnknown(_ name: String, at location: ConfigLocation) -> Bool {
        guard compat.ignoredUnknownOptions.contains(name) else { return false }
        warn(location, name, "unknown option ignored (listed in ignore-unknown-option)")
        return true
    }

    /// The compatibility rules that need the whole config: device type, `link-mtu`.
    func finishCompat(_ c: inout TunnelConfig) throws(ConfigError) {
        if let (name, location) = compat.untypedDevice, !compat.deviceTypeTun {
            throw ConfigError(location, directive: "dev",
                              "cannot tell whether '\(name)' is a tun or a tap device: add 'dev-type tun'")
        }
        if seen["remote-random"] != nil { c.remotes.shuffle() }
        if let gateway = compat.routeIPv6Gateway {
            for index in c.routesIPv6.indices where c.routesIPv6[index].gateway == nil { c.routesIPv6[index].gateway = gateway }
        }
        if let location = seen["dns"], compat.foreignOptions > 0 {
            c.warnings.append(ConfigDiagnostic(location, directive: "dns",
                "openvpn 2.6 rewrites the dhcp-option foreign_option_N values from dns; swvpnd passes the dhcp-option lines as written"))
        }
        if let (linkMTU, location) = compat.linkMTU {
            if let tunLocation = seen["tun-mtu"] {
                throw ConfigError(location, directive: "link-mtu", "conflicts with tun-mtu at \(tunLocation) (only one of them may be given)")
            }
            let tunMTU = linkMTU - Self.linkOverhead(cipher: c.cipher, digest: c.digest, tcp: c.transport.isTCP,
                                                     replay: c.replay != .disabled)
            guard tunMTU >= 100 else {
                throw ConfigError(location, directive: "link-mtu", "\(linkMTU) leaves a TUN MTU of \(tunMTU) (at least 100 needed)")
            }
            c.tunMTU = tunMTU
            c.compat.linkMTU = linkMTU
        }
    }

    /// openvpn 2.6's `link-mtu` → TUN MTU difference: the OCC-style crypto overhead (HMAC, IV and one
    /// cipher block for CBC; the packet ID only without a cipher) plus the TCP length prefix.
    /// Measured against openvpn 2.6.14: link-mtu 1400 gives 1336 for AES-256-CBC/SHA256, 1364 for
    /// BF-CBC/SHA1, 1392 for none/none, 1334 over TCP.
    static func linkOverhead(cipher: CipherSpec, digest: DigestSpec, tcp: Bool, replay: Bool) -> Int {
        var overhead = digest.length + (tcp ? 2 : 0)
        if cipher.isNone {
            overhead += replay ? WireFormat.packetIDLength : 0
        } else {
            overhead += cipher.ivLength + cipher.blockSize
        }
        return overhead
    }
}
