import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Owns everything one test creates: uniquely named network namespaces (`swt-<pid>-<tag>-...`), the veth
/// links between them (deleted with the namespaces), a work directory for configs and logs, and the
/// processes it started. `teardown()` undoes all of it and is meant to run from `defer`.
final class NetnsLab {
    let prefix: String
    let workDir: String
    private(set) var namespaces: [String] = []
    private var daemons: [Daemon] = []
    private var tornDown = false

    /// `owner` starts the names, so parallel test runs of different suites never collide (`hlth`, ...).
    init(owner: String = "swt") throws {
        let tag = String(UInt32.random(in: 0...0xFFFF_FFFF), radix: 36)
        prefix = "\(owner)-\(getpid())-\(tag)"
        workDir = NSTemporaryDirectory() + prefix
        try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
    }

    deinit { teardown() }

    /// Creates namespace `<prefix>-<short>` with loopback up; returns its full name.
    @discardableResult
    func addNamespace(_ short: String) throws -> String {
        let name = "\(prefix)-\(short)"
        try Shell.must(["ip", "netns", "add", name])
        namespaces.append(name)
        try Shell.must(["ip", "-n", name, "link", "set", "lo", "up"])
        return name
    }

    /// A veth pair created directly inside the two namespaces (never visible in the root namespace).
    func link(_ nsA: String, _ ifA: String, _ cidrA: String, _ nsB: String, _ ifB: String, _ cidrB: String) throws {
        try Shell.must(["ip", "-n", nsA, "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", nsB])
        try Shell.must(["ip", "-n", nsA, "addr", "add", cidrA, "dev", ifA])
        try Shell.must(["ip", "-n", nsB, "addr", "add", cidrB, "dev", ifB])
        try Shell.must(["ip", "-n", nsA, "link", "set", ifA, "up"])
        try Shell.must(["ip", "-n", nsB, "link", "set", ifB, "up"])
    }

    func run(in ns: String, _ args: [String], timeout: Double = 30) throws -> CommandResult {
        try Shell.run(["ip", "netns", "exec", ns] + args, timeout: timeout)
    }

    @discardableResult
    func must(in ns: String, _ args: [String], timeout: Double = 30) throws -> String {
        try Shell.must(["ip", "netns", "exec", ns] + args, timeout: timeout)
    }

    /// Starts a long-running process inside `ns`; `ip netns exec` execs in place, so the PID we track
    /// is the program's own.
    func spawn(in ns: String, label: String, _ args: [String]) throws -> Daemon {
        let safe = label.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }
        let log = "\(workDir)/\(String(safe))-\(daemons.count).log"
        let d = try Daemon(label: label, args: ["ip", "netns", "exec", ns] + args, logPath: log)
        daemons.append(d)
        return d
    }

    func path(_ name: String) -> String { "\(workDir)/\(name)" }

    func write(_ name: String, _ text: String) throws -> String {
        let p = path(name)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    /// Stops our processes (by PID, SIGTERM then SIGKILL), deletes our namespaces, removes the work
    /// directory unless SWT_KEEP_LOGS is set. Safe to call twice.
    func teardown() {
        guard !tornDown else { return }
        tornDown = true
        for d in daemons.reversed() { d.stop(grace: 3) }
        for ns in namespaces.reversed() { _ = try? Shell.run(["ip", "netns", "del", ns], timeout: 10) }
        if ProcessInfo.processInfo.environment["SWT_KEEP_LOGS"] == nil {
            try? FileManager.default.removeItem(atPath: workDir)
        }
    }
}
