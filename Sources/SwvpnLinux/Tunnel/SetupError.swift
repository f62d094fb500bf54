import Glibc
import SwvpnCrypto
import SwvpnProtocol

/// A set-up failure and its cause; the description is the message for the user. At start the daemon
/// exits with status 1; a socket whose address is in use is tried again first (`isAddressInUse`).
package enum SetupError: Error, CustomStringConvertible {
    /// The config or key file could not be read again (SIGHUP); the loader's message.
    case config(String)
    case cryptoProvider(CryptoError)
    case key(KeyFileError)
    case dataChannel(cipher: String, digest: String, CryptoError)
    /// `replay-persist FILE` cannot be opened or is locked by another process.
    case replayPersist(path: String, reason: String)
    /// `local HOST` does not resolve; `source` names the config.
    case localUnresolved(source: String, host: String)
    /// `holder`: the process that has the port, when it could be found.
    case udpSocket(SocketAddress, SystemError, holder: String?)
    case tcpLink(SystemError)
    case tcpListen(SocketAddress, SystemError, holder: String?)
    case tunOpen(device: String, SystemError)
    case tunConfigure(device: String, NetlinkError)
    /// `outcome`: how it ended; fatal as in openvpn, whose line leads the message.
    case script(kind: String, command: String, outcome: ScriptRunner.Outcome)
    case privileges(PrivilegeDrop.Failure)
    /// `chroot DIR` failed.
    case chroot(path: String, SystemError)
    /// `health-listen` or `management` cannot listen, or its password file cannot be read.
    case monitoring(String)

    package var description: String {
        switch self {
        case .config(let message): message
        case .cryptoProvider(let error): "\(error)"
        case .key(let error): "\(error)"
        case .dataChannel(let cipher, let digest, let error): "cannot set up \(cipher)/\(digest): \(error)"
        case .replayPersist(let path, let reason): "replay-persist \(path): \(reason)"
        case .localUnresolved(let source, let host): "\(source): local \(host): cannot resolve"
        case .udpSocket(let address, let error, let holder):
            "cannot open UDP socket on \(address): \(error)" + Self.heldBy(holder)
        case .tcpLink(let error): "cannot create TCP link: \(error)"
        case .tcpListen(let address, let error, let holder):
            "cannot listen on TCP \(address): \(error)" + Self.heldBy(holder)
        case .tunOpen(let device, let error):
            "cannot open TUN device '\(device)': \(error)"
                + (error.errno == ENOENT
                    ? " (is the tun module loaded? the clone device, /dev/net/tun or dev-node, is missing)" : "")
        case .tunConfigure(let device, let error): "cannot configure \(device): \(error)"
        case .script(let kind, let command, let outcome):
            "WARNING: Failed running command (--up/--down): \(outcome.openvpnText) (\(kind) script '\(command)' \(outcome))"
        case .privileges(let error): "cannot drop privileges: \(error)"
        case .chroot(let path, let error): "chroot to '\(path)' failed: \(error.message)"
        case .monitoring(let message): message
        }
    }

    /// Another socket has the address (another tunnel, or an old instance still exiting): may pass.
    package var isAddressInUse: Bool {
        switch self {
        case .udpSocket(_, let error, _), .tcpListen(_, let error, _): error.errno == EADDRINUSE
        default: false
        }
    }

    private static func heldBy(_ holder: String?) -> String { holder.map { " (held by \($0))" } ?? "" }
}
