import CSwvpnLinux
import Glibc
import SwvpnConfig

/// Runs `up`/`down` commands the way openvpn 2.6 does: the command text is split into argv by the
/// config quoting rules (no `sh -c`, so no shell metacharacters), our arguments are appended, and
/// the program is executed directly (a path, no PATH search). The child starts with default signal
/// dispositions and an empty signal mask (the daemon blocks and ignores signals it handles itself),
/// in its own process group, and is killed (SIGTERM, then SIGKILL) if it runs past `timeout`.
package enum ScriptRunner {
    package static let defaultTimeout: Int64 = 60

    package enum Outcome: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)
        case timedOut(seconds: Int64)
        case notStarted(String)

        package var succeeded: Bool { self == .exited(0) }

        package var description: String {
            switch self {
            case .exited(let status): "failed with status \(status)"
            case .signaled(let signal): "was killed by signal \(signal)"
            case .timedOut(let seconds): "timed out after \(seconds) s and was killed"
            case .notStarted(let why): "could not be started: \(why)"
            }
        }

        /// openvpn 2.6's words for the same outcome (system_error_message), as its warning and fatal lines
        /// carry them: "external program exited with error status: 1".
        package var openvpnText: String {
            switch self {
            case .exited(let status): "external program exited with error status: \(status)"
            case .signaled, .timedOut: "external program did not exit normally"
            case .notStarted: "could not execute external program"
            }
        }
    }

    package static func run(
        _ command: String, arguments: [String], environment: [String],
        timeout: Int64 = defaultTimeout
    ) -> Outcome {
        let words: [String]
        do throws(ConfigError) {
            words = try ConfigLexer.splitCommand(command, location: ConfigLocation(source: "command", line: nil))
        } catch {
            return .notStarted(error.problem)
        }
        let argv = words + arguments
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup($0) } + [nil]
        defer {
            for arg in cArgs { free(arg) }
            for variable in cEnv { free(variable) }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], nil, &attributes, cArgs, cEnv)
        guard rc == 0 else { return .notStarted("\(argv[0]): \(SystemError.text(for: rc))") }
        return wait(pid, timeout: timeout)
    }

    private static func wait(_ pid: pid_t, timeout: Int64) -> Outcome {
        var status: Int32 = 0
        var waitedMilliseconds: Int64 = 0
        var killedAt: Int64?
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { return .notStarted("waitpid: \(SystemError.text(for: errno))") }
            if waitedMilliseconds >= timeout * 1000 && killedAt == nil {
                kill(-pid, SIGTERM)
                killedAt = waitedMilliseconds
            } else if let killedAt, waitedMilliseconds >= killedAt + 5000 {
                kill(-pid, SIGKILL)
            }
            usleep(20_000)
            waitedMilliseconds += 20
        }
        if killedAt != nil { return .timedOut(seconds: timeout) }
        if status & 0x7f == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(status & 0x7f)
    }
}
