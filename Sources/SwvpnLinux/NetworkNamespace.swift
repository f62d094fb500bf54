import CSwvpnLinux

/// Network namespaces, for tests and tools that must not touch the host's interfaces.
package enum NetworkNamespace {
    /// Moves the calling *thread* into a new, empty network namespace (`unshare(CLONE_NEWNET)`).
    ///
    /// Namespaces are per thread: sockets, netlink sockets and TUN devices that this thread creates afterwards
    /// live in the new namespace. The namespace disappears when the thread exits and every fd created in it is
    /// closed, so cleanup needs no extra step. Use it on a dedicated thread, never on a shared pool thread.
    package static func unshareCurrentThread() throws(SystemError) {
        _ = try syscallNoWait("unshare(CLONE_NEWNET)") { Int(swvpn_unshare_netns()) }
    }
}
