import SwvpnProtocol

/// A validated static-key tunnel configuration. Build it with `TunnelConfig.load` or `.parse`.
/// Every field names the OpenVPN directive it comes from; defaults are OpenVPN 2.6's.
public struct TunnelConfig: Sendable {
    /// Name of the top-level config (the path as given, or `command line`).
    public var sourceName: String

    // MARK: Device
    /// `dev`: device name or type prefix (`tun`, `tun0`, `tap`, `tap0`).
    public var device: String = "tun"
    /// `dev-type`, else the prefix of `dev`: a tun device carries IP packets, a tap device Ethernet frames.
    public var deviceType: DeviceType = .tun
    /// `txqueuelen`.
    public var txQueueLength: Int?
    /// `topology` (default net30).
    public var topology: Topology = .net30
    /// `tun-mtu n`.
    public var tunMTU: Int = 1500
    /// Second argument of `tun-mtu`: the value reported in the OCC string instead of `tunMTU`.
    public var occMTU: Int?
    /// `mssfix [n] [mtu|fixed]`.
    public var mssFix: MSSFix = .automatic
    /// `fragment max [mtu]`: maximum fragment size, nil when not fragmenting.
    public var fragment: Int?
    /// `fragment max mtu`: count `max` including outer IP/UDP headers.
    public var fragmentCountsOuterHeaders = false

    // MARK: Transport
    /// `proto` (default udp).
    public var transport: Transport = .udp
    /// Address family from the `4`/`6` suffix of `proto`.
    public var addressFamily: AddressFamily = .any
    /// `local`: address to bind, nil for any.
    public var localHost: String?
    /// `lport`, else `port`, else 1194.
    public var localPort: UInt16 = WireFormat.defaultPort
    /// False with `nobind`.
    public var bind = true
    /// `remote host [port] [proto]`, in order; ports already resolved against `rport`/`port`.
    public var remotes: [RemoteEndpoint] = []
    /// `float`.
    public var float = false
    /// `connect-retry n [max]`.
    public var connectRetry = ConnectRetry(seconds: 1, maxSeconds: 300)
    /// `resolv-retry n|infinite`; nil means OpenVPN's default (infinite).
    public var resolveRetrySeconds: Int?
    /// `sndbuf`, `rcvbuf`.
    public var sendBufferSize: Int?
    public var receiveBufferSize: Int?

    // MARK: Addresses and routes
    /// `ifconfig local remote` (net30/p2p) or `ifconfig address netmask` (subnet, or any tap device).
    public var ifconfig: IPv4Ifconfig?
    /// `ifconfig-ipv6 address/prefix remote`.
    public var ifconfigIPv6: IPv6Ifconfig?
    /// `ifconfig-nowarn`: leave ifconfig out of the OCC string.
    public var ifconfigNoWarn = false
    /// `ifconfig-noexec`: the device is left as opened (no address, MTU or link up); scripts still get
    /// the `ifconfig_*` variables, so an `up` script can configure it. Routes are still added.
    public var ifconfigNoExec = false
    /// `route`, with gateway and metric resolved (PROTOCOL.md §9.2).
    public var routes: [Route] = []
    /// `route-ipv6 network/prefix [gateway] [metric]`, with openvpn's defaults filled in: gateway
    /// `route-ipv6-gateway`, else the `ifconfig-ipv6` peer; metric `route-metric`.
    public var routesIPv6: [RouteIPv6] = []
    /// `route-gateway`.
    public var routeGateway: IPv4Address?
    /// openvpn's `vpn_gateway`: `route-gateway`, else the point-to-point peer of `ifconfig` (none with a
    /// netmask: a subnet has no single peer).
    public var vpnGateway: IPv4Address? {
        routeGateway ?? (ifconfigHasNetmask ? nil : ifconfig?.remoteOrNetmask)
    }
    /// `route-metric`.
    public var routeMetric: Int?
    /// `route-delay [n] [w]`: nil installs routes right after the TUN is up.
    public var routeDelay: RouteDelay?
    /// `route-noexec`.
    public var routeNoExec = false

    // MARK: Crypto
    /// `secret file [dir]` or an inline `<secret>` block; the daemon reads and parses the key.
    public var keySource: KeySource
    /// `key-direction`, or the second argument of `secret`.
    public var keyDirection: KeyDirection = .bidirectional
    /// `cipher` (default BF-CBC).
    public var cipher: CipherSpec = .openVPNDefault
    /// `auth` (default SHA1).
    public var digest: DigestSpec = .openVPNDefault
    /// `replay-window n [t]`, or disabled by `no-replay`.
    public var replay: ReplayProtection = .window(size: 64, seconds: 15)
    /// `replay-persist file` (resolved against `cd`).
    public var replayPersistPath: String?
    /// `mute-replay-warnings`.
    public var muteReplayWarnings = false
    /// `providers name...`.
    public var providers: [String] = []
    /// `allow-deprecated-insecure-static-crypto` (required by OpenVPN 2.7 for this mode).
    public var allowDeprecatedInsecureStaticCrypto = false
    /// `comp-lzo` / `compress`: framing of every payload (PROTOCOL.md §8).
    public var compression: CompressionFraming = .none
    /// The algorithm of `comp-lzo [yes|adaptive]` (LZO) or `compress lzo|lz4|lz4-v2`; nil for framing only.
    public var compressionAlgorithm: CompressionAlgorithm?
    /// True when a compression option puts `,comp-lzo` in the OCC string (all but `compress migrate`).
    public var compressionInOCC = false
    /// `allow-compression yes|no|asym`.
    public var allowCompression: String?

    // MARK: Liveness
    /// `ping`, `ping-restart`, `ping-exit`, `ping-timer-rem`, after `keepalive` expansion.
    public var ping = PingSettings()
    /// `explicit-exit-notify [n]`: seconds of OCC_EXIT on shutdown, nil when off (ignored on TCP).
    public var explicitExitNotify: Int?
    /// `disable-occ`.
    public var disableOCC = false

    // MARK: Process
    /// `persist-tun`, `persist-key`, `persist-local-ip`, `persist-remote-ip`.
    public var persistTun = false
    public var persistKey = false
    public var persistLocalIP = false
    public var persistRemoteIP = false
    /// `user`, `group`.
    public var user: String?
    public var group: String?
    /// `writepid file`.
    public var writePIDPath: String?
    /// `status file [n]`.
    public var status: StatusFile?
    /// `log file` / `log-append file`.
    public var log: LogFile?
    /// `verb` (default 1).
    public var verbosity = 1
    /// `mute n`: repeated messages allowed in a row (0 = no limit).
    public var mute = 0
    /// `suppress-timestamps`.
    public var suppressTimestamps = false
    /// `machine-readable-output`.
    public var machineReadableOutput = false
    /// `daemon [name]`: swvpnd never forks; the name (if any) is the syslog tag.
    public var daemonName: String?
    /// `cd dir`: base directory of every relative path; already applied to the paths above.
    public var directory: String?
    /// `script-security n` (default 1).
    public var scriptSecurity = 1
    /// `up cmd`, `down cmd`, `up-delay`, `down-pre`.
    public var upCommand: String?
    public var downCommand: String?
    public var upDelay = false
    public var downPre = false
    /// `setenv name value` / `setenv-opt name value`, in order.
    public var environment: [EnvironmentSetting] = []

    /// `nice`, `mlock`: process settings the daemon applies at start (ConfigBuilder+Compat.swift).
    public var compat = CompatSettings()

    /// Script hooks, `up-restart`, `inactive`, `connect-retry-max`, `remap-usr1`, `dns` (LifecycleSettings.swift).
    public var lifecycle = LifecycleSettings()
    /// `redirect-gateway`, `redirect-private`, `dev-node`, `chroot`, `syslog`, `passtos`, `shaper` (HostOptions.swift).
    public var host = HostOptions()

    /// `health-listen`, `health-probe`, `management*`.
    public var health = HealthSettings()

    /// Deprecations, options without effect and similar notes, in config order.
    public var warnings: [ConfigDiagnostic] = []

    /// Buffer sizes for the packet path.
    public var frameLayout: FrameLayout {
        FrameLayout(cipher: cipher, digest: digest, replayProtection: replay != .disabled)
    }

    /// The MTU value OCC reports (`tun-mtu` second argument, else `tun-mtu`).
    public var occTunMTU: Int { occMTU ?? tunMTU }

    /// openvpn 2.6 decompresses what a peer sends unless `allow-compression no` (default asym).
    public var decompressesPayloads: Bool { allowCompression != "no" }

    /// openvpn 2.6 compresses its own packets only with `allow-compression yes` and an algorithm.
    public var compressesPayloads: Bool {
        allowCompression == "yes" && compressionAlgorithm != nil && compression != .none
    }

    /// The second `ifconfig` argument is a netmask (topology subnet, or a tap device as in openvpn).
    public var ifconfigHasNetmask: Bool { topology == .subnet || deviceType == .tap }

    /// Ethernet header room of a tap device (`tun-mtu-extra`, default 32 there; 0 for tun).
    public var tunMTUExtra: Int { compat.tunMTUExtra ?? (deviceType == .tap ? 32 : 0) }

    public init(sourceName: String, keySource: KeySource) {
        self.sourceName = sourceName
        self.keySource = keySource
    }
}

/// Where the static key comes from; the config never reads key bytes itself.
public enum KeySource: Sendable, Hashable {
    /// `secret file [dir]`: path resolved against `cd`, the direction argument, and the directive's location.
    case file(path: String, direction: KeyDirection?, location: ConfigLocation)
    /// `<secret>` block: its text and the location of its first content line.
    case inline(InlineBlock, firstLine: ConfigLocation)
}

public enum Topology: String, Sendable, Hashable {
    case net30, p2p, subnet
}

public enum Transport: Sendable, Hashable {
    case udp, tcpServer, tcpClient
    public var isTCP: Bool { self != .udp }
}

public enum AddressFamily: Sendable, Hashable {
    case any, ipv4, ipv6
}

public struct RemoteEndpoint: Sendable, Hashable {
    /// Host name or address literal; resolving it is the daemon's job.
    public var host: String
    public var port: UInt16
    /// Third argument of `remote`, overriding `proto` for this remote.
    public var transport: Transport?
    public var addressFamily: AddressFamily?

    public init(host: String, port: UInt16, transport: Transport? = nil, addressFamily: AddressFamily? = nil) {
        self.host = host
        self.port = port
        self.transport = transport
        self.addressFamily = addressFamily
    }
}

public struct ConnectRetry: Sendable, Hashable {
    public var seconds: Int
    public var maxSeconds: Int

    public init(seconds: Int, maxSeconds: Int) {
        self.seconds = seconds
        self.maxSeconds = maxSeconds
    }
}

public enum MSSFix: Sendable, Hashable {
    /// No `mssfix`: OpenVPN's default (1492 counted with outer headers at tun-mtu 1500, else tun-mtu − 40 fixed).
    case automatic
    /// `mssfix 0`.
    case disabled
    /// `mssfix n`, `mssfix n mtu`, `mssfix n fixed`.
    case value(Int, MSSFixMode)
}

public enum MSSFixMode: Sendable, Hashable {
    /// No flag: `n` counts the encapsulated packet without outer IP/UDP headers.
    case payload
    /// `mtu`: `n` includes the outer IP and UDP/TCP headers.
    case includingOuterHeaders
    /// `fixed`: clamp the MSS to n − 40.
    case fixed
}

/// An IPv4 address literal (dotted quad).
public struct IPv4Address: Sendable, Hashable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    /// Strict dotted quad: four decimal parts 0...255, no leading `+`, no shorthand forms.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                let octet = UInt32(part), octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        self.value = value
    }

    /// The netmask of a prefix length 0...32 (`/0` is no bits, not a shift by 32).
    public static func mask(prefixLength: Int) -> UInt32 {
        prefixLength == 0 ? 0 : ~UInt32(0) << (32 - prefixLength)
    }

    /// The prefix length when this is a contiguous netmask.
    public var netmaskPrefixLength: Int? {
        let ones = value.leadingZeroBitCount == 0 ? (~value).leadingZeroBitCount : 0
        return value == Self.mask(prefixLength: ones) ? ones : nil
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }
}

/// tun (IP packets) or tap (Ethernet frames).
public typealias DeviceType = OCCOptions.DevType

public struct IPv4Ifconfig: Sendable, Hashable {
    public var local: IPv4Address
    /// The peer address (net30/p2p) or the netmask (subnet topology).
    public var remoteOrNetmask: IPv4Address

    public init(local: IPv4Address, remoteOrNetmask: IPv4Address) {
        self.local = local
        self.remoteOrNetmask = remoteOrNetmask
    }
}

public struct IPv6Ifconfig: Sendable, Hashable {
    /// Address literal as written (without the prefix).
    public var address: String
    public var prefixLength: Int
    public var remote: String

    public init(address: String, prefixLength: Int, remote: String) {
        self.address = address
        self.prefixLength = prefixLength
        self.remote = remote
    }
}

public struct Route: Sendable, Hashable {
    public var network: IPv4Address
    public var netmask: IPv4Address
    public var prefixLength: Int
    public var gateway: RouteGateway
    /// nil: no metric (kernel default).
    public var metric: Int?
    public var location: ConfigLocation
}

public enum RouteGateway: Sendable, Hashable {
    /// A literal, or `vpn_gateway` already resolved from `route-gateway` / the `ifconfig` peer.
    case address(IPv4Address)
    /// `net_gateway`: the underlay default gateway, looked up by the daemon.
    case netGateway
    /// `remote_host`: the remote's resolved address.
    case remoteHost
}

public struct RouteIPv6: Sendable, Hashable {
    public var network: String
    public var prefixLength: Int
    public var gateway: String?
    public var metric: Int?
    public var location: ConfigLocation
}

public struct RouteDelay: Sendable, Hashable {
    public var seconds: Int
    public var windowSeconds: Int

    public init(seconds: Int, windowSeconds: Int) {
        self.seconds = seconds
        self.windowSeconds = windowSeconds
    }
}

public enum ReplayProtection: Sendable, Hashable {
    /// `replay-window size seconds`; size 0 is strict in-order mode.
    case window(size: Int, seconds: Int)
    /// `no-replay`: no packet-id on the wire at all.
    case disabled
}

public struct PingSettings: Sendable, Hashable {
    /// Seconds of send silence before a ping (`ping`, or `keepalive` first argument); 0 = off.
    public var interval = 0
    /// Seconds without received traffic before `timeoutAction` (`ping-restart`/`ping-exit`); 0 = off.
    public var timeout = 0
    public var timeoutAction: PingTimeoutAction = .restart
    /// `ping-timer-rem`: only run the timeout once the peer address is known.
    public var timerNeedsRemote = false

    public init() {}
}

public enum PingTimeoutAction: Sendable, Hashable {
    case restart, exit
}

public struct StatusFile: Sendable, Hashable {
    public var path: String
    public var intervalSeconds: Int

    public init(path: String, intervalSeconds: Int) {
        self.path = path
        self.intervalSeconds = intervalSeconds
    }
}

public struct LogFile: Sendable, Hashable {
    public var path: String
    public var append: Bool

    public init(path: String, append: Bool) {
        self.path = path
        self.append = append
    }
}

public struct EnvironmentSetting: Sendable, Hashable {
    public var name: String
    public var value: String
    /// True for `setenv-opt` (OpenVPN ignores unknown options named there).
    public var optional: Bool

    public init(name: String, value: String, optional: Bool) {
        self.name = name
        self.value = value
        self.optional = optional
    }
}
