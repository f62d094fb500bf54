/// Inputs of the OCC options string (PROTOCOL.md §7.3, §7.4), built by the config layer.
public struct OCCOptions: Sendable, Hashable {
    /// Corresponds to OpenVPN `--dev` / `--dev-type` (`null`: no device, openvpn's test setting).
    public enum DevType: String, Sendable, Hashable { case tun, tap, null }
    /// Corresponds to OpenVPN `--proto`.
    public enum Proto: Sendable, Hashable {
        case udp, tcpServer, tcpClient
        var localName: String {
            switch self {
            case .udp: "UDPv4"
            case .tcpServer: "TCPv4_SERVER"
            case .tcpClient: "TCPv4_CLIENT"
            }
        }
        var peer: Proto {
            switch self {
            case .udp: .udp
            case .tcpServer: .tcpClient
            case .tcpClient: .tcpServer
            }
        }
        public var isTCP: Bool { self != .udp }
    }
    /// Corresponds to OpenVPN `--topology` (tun only; tap always behaves like `subnet` here).
    public enum Topology: Sendable, Hashable { case net30, p2p, subnet }

    public var devType: DevType
    /// Corresponds to `--tun-mtu n`; default 1500.
    public var tunMTU: Int
    /// Second argument of `--tun-mtu n occ-mtu`: only changes the value announced in OCC.
    public var occMTU: Int?
    /// Corresponds to `--tun-mtu-extra`; nil means the default (32 for tap, 0 for tun).
    public var tunMTUExtra: Int?
    public var proto: Proto
    /// The two `--ifconfig` arguments as written (local, remote-or-netmask); nil without
    /// `--ifconfig` or with `--ifconfig-nowarn`.
    public var ifconfig: (local: String, remote: String)? {
        get { ifconfigPair.map { ($0[0], $0[1]) } }
        set { ifconfigPair = newValue.map { [$0.local, $0.remote] } }
    }
    private var ifconfigPair: [String]?
    public var topology: Topology
    /// True when `--ifconfig-ipv6` is set.
    public var ifconfigIPv6: Bool
    /// Corresponds to `--comp-lzo` / `--compress` (any of them adds `comp-lzo`).
    public var compression: CompressionFraming
    /// True when `--fragment` is set.
    public var fragment: Bool
    /// Corresponds to `--key-direction` or the direction argument of `--secret`.
    public var keyDirection: KeyDirection
    /// Corresponds to `--cipher`.
    public var cipher: CipherSpec
    /// Corresponds to `--auth`.
    public var digest: DigestSpec
    /// Corresponds to `--no-replay`.
    public var noReplay: Bool

    public init(
        devType: DevType = .tun, tunMTU: Int = 1500, occMTU: Int? = nil, tunMTUExtra: Int? = nil,
        proto: Proto = .udp, ifconfig: (local: String, remote: String)? = nil, topology: Topology = .net30,
        ifconfigIPv6: Bool = false, compression: CompressionFraming = .none, fragment: Bool = false,
        keyDirection: KeyDirection = .bidirectional, cipher: CipherSpec = .openVPNDefault,
        digest: DigestSpec = .openVPNDefault, noReplay: Bool = false
    ) {
        self.devType = devType
        self.tunMTU = tunMTU
        self.occMTU = occMTU
        self.tunMTUExtra = tunMTUExtra
        self.proto = proto
        self.ifconfigPair = ifconfig.map { [$0.local, $0.remote] }
        self.topology = topology
        self.ifconfigIPv6 = ifconfigIPv6
        self.compression = compression
        self.fragment = fragment
        self.keyDirection = keyDirection
        self.cipher = cipher
        self.digest = digest
        self.noReplay = noReplay
    }

    /// The legacy `link-mtu` figure of the OCC string (§7.4). It counts a whole extra cipher block
    /// and is not the real maximum packet size.
    ///
    /// OpenVPN special-cases BF-CBC (adds 16 by hand) so the figure exists even when the crypto
    /// library cannot load Blowfish; the catalogue values give the same 8 + 8 here.
    public var linkMTU: Int {
        var mtu = tunMTU + (tunMTUExtra ?? (devType == .tap ? 32 : 0))
        if compression.isV1 { mtu += 1 }
        if fragment { mtu += 4 }
        if proto.isTCP { mtu += 2 }
        if !noReplay { mtu += WireFormat.packetIDLength }
        if !cipher.isNone { mtu += cipher.blockSize + cipher.ivLength }
        mtu += digest.length
        return mtu
    }

    /// What this peer sends in its OCC_REPLY.
    public var localString: String { optionsString(remote: false) }
    /// What this peer expects the other end to send.
    public var expectedRemoteString: String { optionsString(remote: true) }

    private func optionsString(remote: Bool) -> String {
        var s = "V4,dev-type \(devType.rawValue)"
        s += ",link-mtu \(linkMTU)"
        s += ",tun-mtu \(occMTU ?? tunMTU)"
        s += ",proto \((remote ? proto.peer : proto).localName)"
        if ifconfigIPv6 { s += ",tun-ipv6" }
        if let item = ifconfigItem(remote: remote) { s += ",ifconfig \(item)" }
        if compression != .none { s += ",comp-lzo" }
        if fragment { s += ",mtu-dynamic" }
        if let dir = (remote ? keyDirection.complement : keyDirection).occValue { s += ",keydir \(dir)" }
        s += ",cipher \(cipher.isNone ? "[null-cipher]" : cipher.name)"
        s += ",auth \(digest.isNone ? "[null-digest]" : digest.name)"
        s += ",keysize \(cipher.isNone ? 0 : cipher.keyBits)"
        s += ",secret"
        if noReplay { s += ",no-replay" }
        return s
    }

    private func ifconfigItem(remote: Bool) -> String? {
        guard let pair = ifconfigPair else { return nil }
        let (local, other) = (pair[0], pair[1])
        if devType == .tap || topology == .subnet {
            // "network netmask" on both sides; the addresses are printed the way inet_ntoa does.
            guard let a = IPv4Text.parse(local), let m = IPv4Text.parse(other) else { return "[undef]" }
            return "\(IPv4Text.format(a & m)) \(IPv4Text.format(m))"
        }
        let l = IPv4Text.parse(local).map(IPv4Text.format) ?? local
        let r = IPv4Text.parse(other).map(IPv4Text.format) ?? other
        // Remote address first in our own string; the peer's string (which we expect) swaps them.
        return remote ? "\(l) \(r)" : "\(r) \(l)"
    }
}

/// Dotted-quad IPv4 text without Glibc (`inet_aton`-strict subset: four decimal octets).
enum IPv4Text {
    static func parse(_ s: String) -> UInt32? {
        var value: UInt32 = 0
        var parts = 0
        for part in s.split(separator: ".", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.count <= 3, let octet = UInt32(part), octet <= 255 else { return nil }
            value = value << 8 | octet
            parts += 1
        }
        return parts == 4 ? value : nil
    }

    static func format(_ v: UInt32) -> String {
        "\(v >> 24).\(v >> 16 & 0xff).\(v >> 8 & 0xff).\(v & 0xff)"
    }
}
