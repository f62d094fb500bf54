import CSwvpnLinux
import Glibc

/// OpenVPN `user`/`group`: switch to an unprivileged account after setup, optionally keeping CAP_NET_ADMIN so
/// routes can still be removed at exit (OpenVPN needs `--persist-tun` tricks for this; a capability is simpler).
package enum PrivilegeDrop {
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package let description: String
    }

    /// Call it before starting other threads: keep-caps and capset act on the calling thread only, while glibc
    /// applies setuid to every thread (the others would lose CAP_NET_ADMIN).
    ///
    /// Irreversibly becomes `user` (and `group`, default: the user's primary group).
    ///
    /// Order matters: supplementary groups and gid while still root, then PR_SET_KEEPCAPS so setuid keeps the
    /// permitted set, then setuid, then capset to re-raise only CAP_NET_ADMIN in effective/permitted.
    package static func drop(toUser user: String, group: String? = nil, keepNetAdmin: Bool) throws(Failure) {
        try drop(to: try lookUp(user: user, group: group), keepNetAdmin: keepNetAdmin)
    }

    /// The ids of an account, looked up while /etc is still reachable (before `chroot`, as openvpn does).
    package struct Account: Sendable {
        package let user: String
        package let uid: uid_t
        package let gid: gid_t
    }

    package static func lookUp(user: String, group: String?) throws(Failure) -> Account {
        guard let passwd = getpwnam(user) else { throw Failure(description: "user '\(user)' not found") }
        var gid = passwd.pointee.pw_gid
        if let group {
            guard let entry = getgrnam(group) else { throw Failure(description: "group '\(group)' not found") }
            gid = entry.pointee.gr_gid
        }
        return Account(user: user, uid: passwd.pointee.pw_uid, gid: gid)
    }

    /// `drop(toUser:)` with the ids already looked up.
    package static func drop(to account: Account, keepNetAdmin: Bool) throws(Failure) {
        let (user, uid, gid) = (account.user, account.uid, account.gid)
        func check(_ result: Int, _ what: String) throws(Failure) {
            if result < 0 { throw Failure(description: "\(what): \(SystemError.text(for: Int32(-result)))") }
        }
        var groups = [gid]
        try check(negErrno(setgroups(1, &groups)), "setgroups(\(gid))")
        try check(negErrno(setgid(gid)), "setgid(\(gid))")
        if keepNetAdmin { try check(Int(swvpn_set_keepcaps(1)), "prctl(PR_SET_KEEPCAPS)") }
        try check(negErrno(setuid(uid)), "setuid(\(uid))")
        if keepNetAdmin {
            try check(Int(swvpn_capset(UInt64(1) << UInt64(swvpn_CAP_NET_ADMIN))), "capset(CAP_NET_ADMIN)")
            try check(Int(swvpn_set_keepcaps(0)), "prctl(PR_SET_KEEPCAPS, 0)")
        }
        // Regaining root must fail now; if it works, the drop did not happen.
        if setuid(0) == 0 && uid != 0 { throw Failure(description: "privilege drop to \(user) did not stick") }
    }

    /// The calling thread's effective capability mask (bit n = capability n).
    package static func effectiveCapabilities() throws(SystemError) -> UInt64 {
        var effective: UInt64 = 0
        var permitted: UInt64 = 0
        _ = try syscallNoWait("capget") { Int(swvpn_capget(&effective, &permitted)) }
        return effective
    }

    package static var netAdminBit: UInt64 { UInt64(1) << UInt64(swvpn_CAP_NET_ADMIN) }
}
