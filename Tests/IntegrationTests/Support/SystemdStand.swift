import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A Debian bookworm root booted with the real systemd as PID 1 (systemd-nspawn), for what no stand-in
/// NOTIFY_SOCKET can show: unit ordering, the watchdog, the sandbox, the package's maintainer scripts.
///
/// The root is debootstrapped once into `.build-stand/` (kept between runs) and every stand boots an
/// overlay of it, so tests never change the cached root. The container has only loopback
/// (`--private-network`); `linkPeer` adds a veth into a namespace of the test's own `NetnsLab`, where
/// the host's openvpn plays the peer. Anything that cannot boot is a failure, never a skip.
final class SystemdStand {
    static var cacheDir: String { Paths.packageRoot.appendingPathComponent(".build-stand").path }

    /// The cached root (scripts/stand-root.sh debootstraps it on first use, about a minute plus downloads).
    static func ensureRoot() throws -> String {
        for tool in ["debootstrap", "systemd-nspawn", "nsenter"] where Prerequisites.which(tool) == nil {
            throw HarnessError(
                "`\(tool)` missing: apt-get install debootstrap systemd-container util-linux (scripts/test.sh does)")
        }
        let script = Paths.packageRoot.appendingPathComponent("scripts/stand-root.sh").path
        let r = try Shell.run([script], timeout: 1800)
        guard r.succeeded, let root = r.stdout.split(separator: "\n").last.map(String.init) else {
            throw HarnessError("cannot build the systemd stand's root: \(r.summary)")
        }
        if !r.stderr.isEmpty { print(r.stderr) }
        return root
    }

    let lab: NetnsLab
    let machine: String
    /// The overlay's upper, work and merged directories (under the lab's work directory).
    let upper: String
    let merged: String
    private let nspawn: Daemon
    /// The container's PID 1 as the host sees it.
    let leader: Int32
    private var shutDown = false

    /// Boots the container and waits until systemd says the system is up; fails loudly when it cannot.
    init(lab: NetnsLab, tag: String) throws {
        let root = try Self.ensureRoot()
        self.lab = lab
        machine = "ops-\(tag)-\(getpid())"
        let base = lab.path("stand-\(tag)")
        upper = "\(base)/upper"
        merged = "\(base)/merged"
        for dir in [upper, "\(base)/work", merged] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        try Shell.must([
            "mount", "-t", "overlay", "overlay", "-o",
            "lowerdir=\(root),upperdir=\(upper),workdir=\(base)/work", merged,
        ])
        do {
            nspawn = try Daemon(
                label: "systemd-nspawn \(machine)",
                args: [
                    "systemd-nspawn", "--quiet", "-D", merged, "--machine=\(machine)", "--boot", "--private-network",
                    "--bind=/dev/net/tun", "--capability=CAP_NET_ADMIN", "--register=no", "--keep-unit",
                    // A host's PID 1 may raise any limit; the container's may not (no CAP_SYS_RESOURCE),
                    // so give it the headroom the unit's LimitNICE= asks for.
                    "--rlimit=RLIMIT_NICE=24",
                ],
                logPath: "\(base)/console.log")
            leader = try Self.waitForLeader(nspawn)
        } catch {
            _ = try? Shell.run(["umount", "-l", merged])
            throw error
        }
        try waitBooted()
    }

    deinit { shutdown() }

    /// PID 1 of the container: the child of systemd-nspawn that runs systemd.
    private static func waitForLeader(_ nspawn: Daemon) throws -> Int32 {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if !nspawn.isRunning {
                throw HarnessError(
                    "systemd-nspawn exited (\(nspawn.process.terminationStatus)) before booting:\n\(nspawn.log().tail(30))"
                )
            }
            let children =
                (try? String(contentsOfFile: "/proc/\(nspawn.pid)/task/\(nspawn.pid)/children", encoding: .utf8)) ?? ""
            for pid in children.split(separator: " ").compactMap({ Int32($0) }) {
                let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? ""
                if comm.hasPrefix("systemd") { return pid }
            }
            usleep(50_000)
        }
        throw HarnessError("systemd-nspawn started no systemd within 30 s:\n\(nspawn.log().tail(30))")
    }

    private func waitBooted() throws {
        let deadline = Date().addingTimeInterval(90)
        var last = ""
        while Date() < deadline {
            guard nspawn.isRunning else {
                throw HarnessError("the systemd stand died while booting:\n\(nspawn.log().tail(40))")
            }
            if let r = try? run(["systemctl", "is-system-running"], timeout: 10) {
                last = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                if last == "running" || last == "degraded" { return }
            }
            usleep(200_000)
        }
        let failed = (try? run(["systemctl", "--failed", "--no-legend"]))?.stdout ?? ""
        throw HarnessError(
            "the systemd stand did not finish booting in 90 s (state '\(last)'):\n"
                + "failed units: \(failed)\nconsole:\n\(nspawn.log().tail(40))")
    }

    /// Runs a command inside the container (all its namespaces, a clean environment).
    func run(_ args: [String], timeout: Double = 60) throws -> CommandResult {
        try Shell.run(
            [
                "nsenter", "-t", "\(leader)", "-a", "--", "/usr/bin/env", "-i",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0", "LANG=C.UTF-8",
            ] + args,
            timeout: timeout)
    }

    @discardableResult
    func must(_ args: [String], timeout: Double = 60) throws -> String {
        let r = try run(args, timeout: timeout)
        guard r.succeeded else { throw HarnessError("in the systemd stand: \(r.summary)") }
        return r.stdout
    }

    /// A file of the container, written from the host through the overlay.
    func write(_ path: String, _ text: String, mode: Int = 0o644) throws {
        let host = merged + path
        try FileManager.default.createDirectory(
            atPath: (host as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true)
        try text.write(toFile: host, atomically: true, encoding: .utf8)
        chmod(host, mode_t(mode))
    }

    func copyIn(_ hostPath: String, to path: String) throws {
        try Shell.must(["cp", hostPath, merged + path])
    }

    /// `systemctl show -p NAME --value UNIT`.
    func property(_ unit: String, _ name: String) throws -> String {
        try must(["systemctl", "show", "-p", name, "--value", unit]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A veth from the container (`inet0`, `containerCIDR`) into namespace `ns` (`inet0`, `peerCIDR`).
    func linkPeer(_ ns: String, containerCIDR: String, peerCIDR: String) throws {
        try Shell.must([
            "ip", "-n", ns, "link", "add", "inet0", "type", "veth", "peer", "name", "inet0", "netns", "\(leader)",
        ])
        try Shell.must(["ip", "-n", ns, "addr", "add", peerCIDR, "dev", "inet0"])
        try Shell.must(["ip", "-n", ns, "link", "set", "inet0", "up"])
        try must(["ip", "addr", "add", containerCIDR, "dev", "inet0"])
        try must(["ip", "link", "set", "inet0", "up"])
    }

    func journal(_ unit: String) -> String {
        (try? run(["journalctl", "--no-pager", "-o", "cat", "-u", unit]))?.stdout ?? ""
    }

    /// Polls `condition` until it holds; a timeout is a failure naming `what` (no timing assertion).
    func eventually(_ what: @autoclosure () -> String, timeout: Double = 30, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if try condition() { return }
            if Date() >= deadline {
                throw HarnessError("systemd stand: timed out after \(Int(timeout)) s waiting for \(what())")
            }
            usleep(200_000)
        }
    }

    /// Powers the container off (SIGTERM makes nspawn ask systemd to shut down), then drops the overlay.
    func shutdown() {
        guard !shutDown else { return }
        shutDown = true
        nspawn.stop(signal: SIGTERM, grace: 30)
        _ = try? Shell.run(["umount", merged], timeout: 30)
    }
}
