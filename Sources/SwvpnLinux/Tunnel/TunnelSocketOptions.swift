import CSwvpnLinux
import Glibc
import SwvpnConfig

/// openvpn's options for the tunnel socket itself: `mark` (SO_MARK, for policy routing), `bind-dev`
/// (SO_BINDTODEVICE, a VRF or an interface) and `mtu-disc` (IP/IPV6_MTU_DISCOVER). Applied before the
/// bind: at set-up to the UDP socket or the tcp-server's listening socket (whose connections inherit
/// them), and to each tcp-client connecting socket before its connect. A refusal (SO_MARK needs
/// CAP_NET_ADMIN) fails the set-up, or that connection attempt, with the syscall's reason.
enum TunnelSocketOptions {
    static func apply(_ compat: CompatSettings, fd: Int32, family: SocketAddress.Family) throws(SystemError) {
        if let mark = compat.socketMark {
            _ = try syscallNoWait("setsockopt(SO_MARK, \(mark))") {
                Int(swvpn_setsockopt_int(fd, SOL_SOCKET, SO_MARK, Int32(bitPattern: mark)))
            }
        }
        if let device = compat.bindDevice {
            _ = try syscallNoWait("setsockopt(SO_BINDTODEVICE, \(device))") {
                device.withCString { setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, $0, socklen_t(strlen($0))) } < 0
                    ? -Int(errno) : 0
            }
        }
        if let mode = compat.mtuDiscovery {
            // The IPv6 values are the same numbers as the IPv4 ones.
            let value: Int32 =
                switch mode {
                case .no: IP_PMTUDISC_DONT
                case .maybe: IP_PMTUDISC_WANT
                case .yes: IP_PMTUDISC_DO
                }
            let (level, name) =
                family == .inet6 ? (Int32(IPPROTO_IPV6), IPV6_MTU_DISCOVER) : (Int32(IPPROTO_IP), IP_MTU_DISCOVER)
            _ = try syscallNoWait("setsockopt(MTU_DISCOVER, \(mode.rawValue))") {
                Int(swvpn_setsockopt_int(fd, level, name, value))
            }
        }
    }
}
