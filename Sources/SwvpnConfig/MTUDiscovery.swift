/// openvpn's `mtu-disc`: IP_PMTUDISC_DONT, _WANT or _DO on the tunnel socket.
public enum MTUDiscovery: String, Sendable, Hashable {
    case no, maybe, yes
}
