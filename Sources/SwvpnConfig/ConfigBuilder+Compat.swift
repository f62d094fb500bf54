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
    /// `dev-type tun|tap` was given: it wins over the `dev` name's prefix, as in openvpn.
    var explicitDeviceType: DeviceType?
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
    /// `tun-mtu-extra n`: room for the Ethernet header on a tap device (openvpn's default there is
    /// 32); it counts in the OCC link-mtu and lowers the MSS clamp.
    public var tunMTUExtra: Int?
    /// `lladdr aa:bb:cc:dd:ee:ff`: the tap device's MAC address.
    public var lladdr: [UInt8]?
    /// `mark n`: SO_MARK on the tunnel socket.
    public var socketMark: UInt32?
    /// `bind-dev NAME`: SO_BINDTODEVICE on the tunnel socket.
    public var bindDevice: String?
    /// `mtu-disc no|maybe|yes`: IP(V6)_MTU_DISCOVER on the tunnel socket; nil keeps the kernel's default.
    public var mtuDiscovery: MTUDiscovery?
    /// `multihome`: UDP replies leave from the local address and interface the peer's packets arrive on.
    public var multihome = false

    public init() {}
}

extension ConfigBuilder {
    /// `dev NAME`, as openvpn reads it: `tun`/`tunN` is a TUN device, `tap…` a TAP device, `null…` no
    /// device at all (ConfigBuilder+NullDevice.swift); any other name is the device's own name and
    /// `dev-type` gives its type.
    mutating func setDevice(_ inv: Invocation) throws(ConfigError) {
        let name = inv.arguments[0]
        guard !name.isEmpty, name.utf8.count < 16, !name.contains("/"),
            !name.contains(where: { $0 == " " || $0 == "%" })
        else {
            throw inv.error("bad device name '\(name)' (1 to 15 characters, no '/', blank or '%')")
        }
        // openvpn's dev_type_enum compares prefixes: tun…, tap…, null….
        let typed = name.hasPrefix("tun") || name.hasPrefix("tap") || name.hasPrefix("null")
        compat.untypedDevice = typed ? nil : (name, inv.location)
        config.device = name
        config.deviceType =
            compat.explicitDeviceType ?? (name.hasPrefix("tap") ? .tap : name.hasPrefix("null") ? .null : .tun)
    }

    /// `dev-type tun|tap|null`.
    mutating func setDeviceType(_ inv: Invocation) throws(ConfigError) {
        switch inv.arguments[0] {
        case "tun": compat.explicitDeviceType = .tun
        case "tap": compat.explicitDeviceType = .tap
        case "null": compat.explicitDeviceType = .null
        default: throw inv.error("bad device type '\(inv.arguments[0])' (tun, tap or null)")
        }
    }

    /// `ignore-unknown-option`: openvpn turns an unknown directive named there into a warning.
    mutating func ignoreUnknown(_ name: String, at location: ConfigLocation) -> Bool {
        guard compat.ignoredUnknownOptions.contains(name) else { return false }
        warn(location, name, "unknown option ignored (listed in ignore-unknown-option)")
        return true
    }

    /// `lladdr`: six hex bytes separated by ':' (what `ip link set address` takes).
    mutating func setLinkLayerAddress(_ inv: Invocation) throws(ConfigError) {
        let parts = inv.arguments[0].split(separator: ":", omittingEmptySubsequences: false)
        let bytes = parts.compactMap { $0.count <= 2 ? UInt8($0, radix: 16) : nil }
        guard parts.count == 6, bytes.count == 6 else {
            throw inv.error("bad MAC address '\(inv.arguments[0])' (six hex bytes: 02:00:5e:10:00:01)")
        }
        guard bytes[0] & 1 == 0 else {
            throw inv.error("'\(inv.arguments[0])' is a multicast address, not a device's MAC")
        }
        config.compat.lladdr = bytes
    }

    /// The compatibility rules that need the whole config: device type, `link-mtu`.
    func finishCompat(_ c: inout TunnelConfig) throws(ConfigError) {
        if let (name, location) = compat.untypedDevice, compat.explicitDeviceType == nil {
            throw ConfigError(
                location, directive: "dev",
                "cannot tell whether '\(name)' is a tun or a tap device: add 'dev-type tun' or 'dev-type tap'")
        }
        if let type = compat.explicitDeviceType { c.deviceType = type }
        if c.compat.multihome, c.transport.isTCP, let location = seen["multihome"] {
            c.warnings.append(
                ConfigDiagnostic(
                    location, directive: "multihome",
                    "no effect with proto tcp: a connection has one local address (openvpn ignores it there too)"))
        }
        if c.deviceType != .tap, let location = seen["lladdr"] {
            throw ConfigError(
                location, directive: "lladdr", "a MAC address needs a tap device (dev tap or dev-type tap)")
        }
        if seen["remote-random"] != nil { c.remotes.shuffle() }
        try finishLifecycle(&c)
        if let (linkMTU, location) = compat.linkMTU {
            if let tunLocation = seen["tun-mtu"] {
                throw ConfigError(
                    location, directive: "link-mtu",
                    "conflicts with tun-mtu at \(tunLocation) (only one of them may be given)")
            }
            let tunMTU =
                linkMTU
                - Self.linkOverhead(
                    cipher: c.cipher, digest: c.digest, tcp: c.transport.isTCP,
                    replay: c.replay != .disabled)
            guard tunMTU >= 100 else {
                throw ConfigError(
                    location, directive: "link-mtu", "\(linkMTU) leaves a TUN MTU of \(tunMTU) (at least 100 needed)")
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
