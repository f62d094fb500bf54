import Glibc
import SwvpnConfig

// `chroot` and `user`/`group`, in openvpn's order: once the tunnel is set up, chroot first, then the ids.
extension TunnelController {
    /// Runs on the main thread before any other thread exists (see `PrivilegeDrop`). What was opened
    /// before stays usable: the key (in memory), the TUN device, the socket, netlink (routes are still
    /// removed at exit), the log or syslog connection, the status, replay-persist and control socket files.
    /// What opens files later sees `dir` as `/`: scripts, a SIGHUP re-read of the config, name
    /// resolution of `remote` on a restart, the pid file's removal at exit (swvpnd(8), "chroot").
    func confine() throws(SetupError) {
        let user = config.user ?? (config.group != nil ? "root" : nil)
        var account: PrivilegeDrop.Account?
        if let user {
            // Looked up before the chroot: /etc/passwd is outside it.
            do throws(PrivilegeDrop.Failure) {
                account = try PrivilegeDrop.lookUp(user: user, group: config.group)
            } catch {
                throw .privileges(error)
            }
        }
        if let directory = config.host.chroot {
            guard chroot(directory) == 0 else {
                throw .chroot(path: directory, SystemError(errno: errno, syscall: "chroot"))
            }
            guard chdir("/") == 0 else { throw .chroot(path: directory, SystemError(errno: errno, syscall: "chdir /")) }
            logger.notice("chroot to '\(directory)' and cd to '/' succeeded")
        }
        guard let account else { return }
        do throws(PrivilegeDrop.Failure) {
            try PrivilegeDrop.drop(to: account, keepNetAdmin: true)
            logger.notice(
                "dropped privileges to user '\(account.user)'\(config.group.map { " group '\($0)'" } ?? ""), keeping CAP_NET_ADMIN"
            )
        } catch {
            throw .privileges(error)
        }
    }
}
