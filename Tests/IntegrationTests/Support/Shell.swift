import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A harness failure with a message meant for the person reading the test report.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct CommandResult {
    let command: [String]
    let status: Int32
    let stdout: String
    let stderr: String
    let timedOut: Bool

    var succeeded: Bool { status == 0 && !timedOut }

    var summary: String {
        let how = timedOut ? "timed out" : "exit \(status)"
        return "`\(command.joined(separator: " "))` (\(how))\nstdout: \(stdout.tail(20))\nstderr: \(stderr.tail(20))"
    }
}

extension String {
    /// Last `lines` lines, for failure messages that must stay readable.
    func tail(_ lines: Int) -> String {
        split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// Starts `p` with an empty signal mask. Swift's worker threads block most signals and spawned children
/// inherit the spawning thread's mask, which would make SIGTERM a no-op for every peer we start.
func runWithDefaultSignalMask(_ p: Process) throws {
    var empty = sigset_t()
    var saved = sigset_t()
    sigemptyset(&empty)
    pthread_sigmask(SIG_SETMASK, &empty, &saved)
    defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
    try p.run()
}

enum Shell {
    /// Runs a short command to completion; it is killed (by its own PID) when `timeout` expires, so no
    /// test can hang on a stuck child. Output goes through files, not pipes, so large output cannot
    /// deadlock the child.
    static func run(_ args: [String], timeout: Double = 30) throws -> CommandResult {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("swt-\(getpid())-cmd-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("out")
        let errURL = dir.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }

        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try runWithDefaultSignalMask(p)
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        var timedOut = false
        if p.isRunning {
            timedOut = true
            kill(p.processIdentifier, SIGKILL)
        }
        p.waitUntilExit()
        return CommandResult(
            command: args,
            status: p.terminationStatus,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
            timedOut: timedOut
        )
    }

    /// Like `run`, but a failure is an error carrying the command's output.
    @discardableResult
    static func must(_ args: [String], timeout: Double = 30) throws -> String {
        let r = try run(args, timeout: timeout)
        guard r.succeeded else { throw HarnessError("command failed: \(r.summary)") }
        return r.stdout
    }
}

/// A long-running child (tunnel peer, relay, transfer listener) whose stdout and stderr go to one log file.
final class Daemon {
    let label: String
    let logPath: String
    let process: Process
    private let logHandle: FileHandle

    init(label: String, args: [String], logPath: String) throws {
        self.label = label
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = args
        process.standardOutput = logHandle
        process.standardError = logHandle
        process.standardInput = FileHandle.nullDevice
        try runWithDefaultSignalMask(process)
    }

    deinit { try? logHandle.close() }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until the log contains `needle`; fails at once if the process dies first.
    func waitForLog(_ needle: String, timeout: Double = 15) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if log().contains(needle) { return }
            if !process.isRunning {
                throw HarnessError(
                    "\(label) (pid \(pid)) exited with status \(process.terminationStatus) before logging '\(needle)'.\n"
                        + "log \(logPath):\n\(log().tail(30))")
            }
            if Date() >= deadline {
                throw HarnessError(
                    "\(label) (pid \(pid)) did not log '\(needle)' within \(Int(timeout)) s.\nlog \(logPath):\n\(log().tail(30))"
                )
            }
            usleep(50_000)
        }
    }

    /// Waits for the process to end by itself; returns false on timeout.
    func waitForExit(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return !process.isRunning
    }

    /// Sends `signal` to our own child only, escalates to SIGKILL after `grace` seconds.
    /// Returns whether it exited within the grace period.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, grace: Double = 5) -> Bool {
        guard process.isRunning else { return true }
        kill(pid, signal)
        if waitForExit(timeout: grace) { return true }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        return false
    }
}
