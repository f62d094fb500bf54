import CSwvpnLinux

/// Process-wide protections set once at start.
public enum ProcessHardening {
    /// Marks the process non-dumpable: no core file (systemd-coredump included) and no ptrace by
    /// unprivileged processes. Chosen over MADV_DONTDUMP on our own key buffers because libcrypto
    /// keeps key schedules and HMAC states in its own heap, which no madvise of ours covers: a core
    /// of any crash would hold key equivalents. Crashes stay visible: the unit's exit status and
    /// signal, and the Swift runtime's crash message on stderr (the journal).
    public static func disableCoreDumps() throws(SystemError) {
        let r = swvpn_set_dumpable(0)
        if r < 0 { throw SystemError(errno: -r, syscall: "prctl(PR_SET_DUMPABLE)") }
    }

    public static var isDumpable: Bool { swvpn_get_dumpable() == 1 }
}
