import SwvpnProtocol

/// Mappings from a validated config to the pure protocol layer (OCC string, packet path settings).
extension TunnelConfig {
    /// Inputs of the OCC options string (PROTOCOL.md §7.3, §7.4).
    ///
    /// `proto` comes from `proto`; a per-remote protocol override (`remote host port tcp-client`)
    /// is the daemon's to apply once it knows which remote it uses.
    public var occOptions: OCCOptions {
        OCCOptions(
            devType: deviceType,
            // With link-mtu, openvpn 2.6 reports the derived MTU as tun-mtu and computes link-mtu from the
            // default tun-mtu 1500 (measured: link-mtu 1400 gives "link-mtu 1572,tun-mtu 1336").
            tunMTU: compat.linkMTU == nil ? tunMTU : 1500,
            occMTU: compat.linkMTU == nil ? occMTU : (occMTU ?? tunMTU),
            tunMTUExtra: compat.tunMTUExtra,  // nil: openvpn's default for the device type
            proto: transport.occProto,
            ifconfig: ifconfigNoWarn ? nil : ifconfig.map { ($0.local.description, $0.remoteOrNetmask.description) },
            topology: topology.occTopology,
            ifconfigIPv6: ifconfigIPv6 != nil,
            // `compress migrate` frames nothing and is not announced; the builder already leaves
            // `compression` at .none for it, the guard keeps the two fields from drifting apart.
            compression: compressionInOCC ? compression : .none,
            fragment: fragment != nil,
            keyDirection: keyDirection,
            cipher: cipher,
            digest: digest,
            noReplay: replay == .disabled)
    }

    /// The outer transport the packet path frames for.
    public var linkTransport: LinkTransport { transport.isTCP ? .tcp : .udp }

    /// Settings of the per-packet path. `underlay` is the family of the peer's address, or
    /// `.unknown` while listening without a known peer (openvpn then sizes the MSS for IPv6).
    public func packetPathSettings(underlay: UnderlayFamily) -> PacketPathSettings {
        let layout = frameLayout
        let link = linkTransport
        let mssLimit = MSSClamp.limit(
            layout: layout, transport: link, underlay: underlay, compression: compression, fragment: fragment,
            tunMTU: tunMTU, tunMTUExtra: tunMTUExtra, mssfix: mssFix.setting)
        // openvpn lets a tiny `fragment` (68 with SHA512) underflow; never go below one 4-byte
        // piece so the splitter cannot trap on a config value.
        let maxFragmentSize = fragment.map {
            max(
                4,
                FragmentSplitter.maxFragmentSize(
                    fragment: $0, layout: layout, transport: link, includeEncapsulation: fragmentCountsOuterHeaders,
                    underlay: underlay))
        }
        return PacketPathSettings(
            layout: layout, compression: compression, mssLimit: mssLimit, maxFragmentSize: maxFragmentSize,
            tunMTU: tunMTU, tcpFraming: link == .tcp, ethernetFrames: deviceType == .tap)
    }
}

extension Transport {
    var occProto: OCCOptions.Proto {
        switch self {
        case .udp: .udp
        case .tcpServer: .tcpServer
        case .tcpClient: .tcpClient
        }
    }
}

extension Topology {
    var occTopology: OCCOptions.Topology {
        switch self {
        case .net30: .net30
        case .p2p: .p2p
        case .subnet: .subnet
        }
    }
}

extension MSSFix {
    /// The protocol layer's form of `mssfix`.
    public var setting: MSSFixSetting {
        switch self {
        case .automatic: .default
        case .disabled: .disabled
        case .value(let n, .payload): .plain(n)
        case .value(let n, .includingOuterHeaders): .mtu(n)
        case .value(let n, .fixed): .fixed(n)
        }
    }
}
