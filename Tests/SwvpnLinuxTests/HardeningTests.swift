import Glibc
import Logging
import Testing

@testable import SwvpnLinux

private func scratchDirectory() throws -> String {
    var template = Array("/tmp/swvpn-hard-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    try #require(made != nil)
    return String(cString: made!)
}

private func contents(_ path: String) -> String? {
    guard let bytes = try? PosixFileSystem().read(path) else { return nil }
    return String(decoding: bytes, as: UTF8.self)
}

/// Files written as root refuse symlinks; scripts get argv without a shell, clean signals, a timeout.
@Suite struct HardeningTests {
    @Test func logStatusAndReplayFilesRefuseASymlink() throws {
        let dir = try scratchDirectory()
        defer { _ = system("rm -rf '\(dir)'") }
        let target = "\(dir)/victim"
        try PosixFileSystem.replace(target, with: "precious\n", mode: 0o644)
        for name in ["log", "status", "replay"] {
            #expect(symlink(target, "\(dir)/\(name)") == 0)
        }
        #expect(throws: SystemError.self) { try LogSink(path: "\(dir)/log", append: false, style: .plain) }
        #expect(throws: SystemError.self) { try StatusFileWriter(path: "\(dir)/status") }
        #expect(throws: SetupError.self) { try ReplayPersistFile(path: "\(dir)/replay") }
        #expect(contents(target) == "precious\n")
        // A plain path still works.
        _ = try LogSink(path: "\(dir)/real.log", append: true, style: .plain)
    }

    @Test func scriptCommandIsSplitIntoArgvWithoutAShell() throws {
        let dir = try scratchDirectory()
        defer { _ = system("rm -rf '\(dir)'") }
        // Shell syntax is just text: nothing runs `touch`.
        #expect(
            ScriptRunner.run("/bin/true $(touch \(dir)/pwned) ; touch \(dir)/pwned2", arguments: [], environment: [])
                == .exited(0))
        #expect(access("\(dir)/pwned", F_OK) != 0 && access("\(dir)/pwned2", F_OK) != 0)
        // Quoting follows the config rules; our arguments come after the command's own.
        let outcome = ScriptRunner.run(
            "/bin/sh -c 'printf \"%s|\" \"$0\" \"$@\" > \(dir)/argv' first", arguments: ["tun0", "1500", "a b"],
            environment: ["PATH=/usr/bin:/bin"])
        #expect(outcome == .exited(0))
        #expect(contents("\(dir)/argv") == "first|tun0|1500|a b|")
        #expect(ScriptRunner.run("/bin/false", arguments: [], environment: []) == .exited(1))
        if case .notStarted = ScriptRunner.run("/nonexistent/up.sh", arguments: [], environment: []) {
        } else {
            Issue.record("a missing program must be reported as not started")
        }
    }

    @Test func scriptStartsWithDefaultSignalsAndAnEmptyMask() throws {
        let dir = try scratchDirectory()
        defer { _ = system("rm -rf '\(dir)'") }
        // The daemon blocks the signals it handles and may ignore others; a script must not inherit that.
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        sigaddset(&blocked, SIGHUP)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        let oldUSR2 = signal(SIGUSR2, SIG_IGN)
        defer {
            signal(SIGUSR2, oldUSR2)
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
        let command = "/bin/sh -c 'exec /bin/grep -E \"^Sig(Blk|Ign)\" /proc/self/status > \(dir)/signals'"
        #expect(ScriptRunner.run(command, arguments: [], environment: []) == .exited(0))
        var masks: [String: UInt64] = [:]
        for line in (contents("\(dir)/signals") ?? "").split(separator: "\n") {
            let parts = line.split(separator: "\t")
            if parts.count == 2 { masks[String(parts[0])] = UInt64(parts[1], radix: 16) }
        }
        // Signals 1...31; glibc keeps its own 32 and 33 out of posix_spawn's reach.
        let ordinary: UInt64 = 0x7fff_ffff
        #expect(masks["SigBlk:"].map { $0 & ordinary } == 0, "\(masks)")
        #expect(masks["SigIgn:"].map { $0 & ordinary } == 0, "\(masks)")
    }

    @Test func scriptThatHangsIsKilledAfterItsTimeout() {
        #expect(ScriptRunner.run("/bin/sleep 60", arguments: [], environment: [], timeout: 1) == .timedOut(seconds: 1))
    }

    @Test func processCanBeMadeNonDumpable() throws {
        try ProcessHardening.disableCoreDumps()
        #expect(!ProcessHardening.isDumpable)
    }
}
