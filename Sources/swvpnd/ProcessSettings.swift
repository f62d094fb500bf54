import Glibc
import Logging
import SwvpnConfig

/// `nice` and `mlock`, applied once at start as openvpn does; a failure is a warning, not fatal.
enum ProcessSettings {
    static func apply(_ settings: CompatSettings, logger: Logger) {
        if let value = settings.nice {
            // openvpn calls nice(n): an increment over the priority it was started with.
            errno = 0
            if Glibc.nice(Int32(value)) == -1, errno != 0 {
                logger.warning("nice \(value) failed: \(String(cString: strerror(errno)))")
            }
        }
        if settings.mlock {
            raiseMemlockLimit(logger: logger)
            if mlockall(MCL_CURRENT | MCL_FUTURE) != 0 {
                logger.warning(
                    "mlock: mlockall failed: \(String(cString: strerror(errno))) (raise LimitMEMLOCK= in the unit)")
            }
        }
    }

    /// openvpn 2.6 raises RLIMIT_MEMLOCK to 100 MB before mlockall (and exits if it cannot); swvpnd
    /// warns instead and locks what the current limit allows.
    private static func raiseMemlockLimit(logger: Logger) {
        let wanted: rlim_t = 100 * 1024 * 1024
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(__RLIMIT_MEMLOCK.rawValue), &limit) == 0, limit.rlim_cur < wanted else {
            return
        }
        var raised = rlimit(rlim_cur: wanted, rlim_max: max(wanted, limit.rlim_max))
        if setrlimit(__rlimit_resource_t(__RLIMIT_MEMLOCK.rawValue), &raised) != 0 {
            logger.warning("mlock: cannot raise RLIMIT_MEMLOCK to 100 MB: \(String(cString: strerror(errno)))")
        }
    }
}
