import Logging
import SwvpnControl

// Names the controller prints: openvpn's address notation, signal texts, log levels.
extension TunnelController {
    /// `[AF_INET]10.77.0.2:1194`, openvpn's address notation (tests and users grep for it).
    static func openVPNAddress(_ address: SocketAddress) -> String {
        (address.family == .inet ? "[AF_INET]" : "[AF_INET6]") + address.description
    }

    static func signalText(_ reason: String) -> String { StatusFormat.signalText(reason) }
}

extension LogLevel {
    var logging: Logger.Level {
        switch self {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        case .critical: .critical
        }
    }
}
