import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension IntegrationTests.DaemonOptions {
    /// An `up`/`down` script that appends one line per call to `calls-<SIDE>.txt` (type, context, signal and
    /// the arguments both ends share: tun_mtu, link_mtu, init|restart) and keeps each call's environment in
    /// `calls-<SIDE>-<n>.env`.
    static func writeCallRecorder(_ env: Env) throws -> String {
        let path = try env.lab.write(
            "calls.sh",
            """
            #!/bin/sh
            d="\(env.lab.workDir)"
            n=$(cat "$d/calls-${SIDE}.txt" 2>/dev/null | wc -l)
            echo "$script_type context=${script_context-UNSET} signal=${signal-UNSET} argc=$# args=$2 $3 $6" \
                >> "$d/calls-${SIDE}.txt"
            env | sort > "$d/calls-${SIDE}-$n.env"

            """)
        try Shell.must(["chmod", "755", path])
        return path
    }

    static func calls(_ env: Env, _ side: Side) -> [String] {
        (read(env.lab.path("calls-\(side.rawValue).txt")) ?? "").split(separator: "\n").map(String.init)
    }

    /// Variable names of script call `n` on `side`, without the two openvpn and swvpnd set differently
    /// everywhere (swvpnd: a fixed PATH; route_net_gateway: the host's default gateway).
    static func callVariables(_ env: Env, _ side: Side, _ n: Int) -> Set<String> {
        let text = read(env.lab.path("calls-\(side.rawValue)-\(n).env")) ?? ""
        return Set(
            text.split(separator: "\n").compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) }
        )
        .subtracting(["PATH", "route_net_gateway"])
    }

    /// Sends `signal` to both ends, then waits until each script log has `calls` lines and each end heard
    /// its peer `heard` times in all.
    static func signalBoth(
        _ env: Env, _ peers: (a: Daemon, b: Daemon), _ signal: Int32, calls: Int, heard: Int
    ) throws {
        for daemon in [peers.a, peers.b] { kill(daemon.pid, signal) }
        try eventually("\(calls) script calls on both ends", timeout: 30) {
            Self.calls(env, .a).count >= calls && Self.calls(env, .b).count >= calls
        }
        for daemon in [peers.a, peers.b] {
            try eventually("\(daemon.label) to hear its peer again (\(heard))", timeout: 30) {
                guard daemon.isRunning else { throw HarnessError("\(daemon.label) exited:\n\(daemon.log().tail(15))") }
                return occurrences("Peer Connection Initiated with", in: daemon.log()) >= heard
            }
        }
    }

    static func expectLogged(_ line: String, by peers: (a: Daemon, b: Daemon)) {
        for daemon in [peers.a, peers.b] {
            #expect(daemon.log().contains(line), "\(daemon.label): no '\(line)':\n\(daemon.log().tail(15))")
        }
    }

    /// Adds `line` to both ends' config files (SIGHUP re-reads them), replacing an earlier `remap-usr1`.
    static func setRemap(_ env: Env, _ line: String, labels: [String]) throws {
        for label in labels {
            let path = env.lab.path("\(label).conf")
            let text = (read(path) ?? "").split(separator: "\n").filter { !$0.hasPrefix("remap-usr1") }
            _ = try env.lab.write("\(label).conf", (text + [Substring(line)]).joined(separator: "\n") + "\n")
        }
    }

    /// `up-restart` and `remap-usr1` against the real openvpn, the same signals to both ends (openvpn with
    /// `persist-tun`, which swvpnd always behaves as): SIGUSR1 runs down (context restart, signal sigusr1)
    /// and up (restart); SIGHUP after adding `remap-usr1 SIGHUP` to both configs, then SIGUSR1, which both log
    /// as openvpn's `SIGHUP[soft,]` and turn into a reload (down/up with context init, signal sighup); SIGHUP
    /// after switching to `remap-usr1 SIGTERM`, then SIGUSR1: both exit 0 with `SIGTERM[soft,]`, down run
    /// with signal sigterm. The two script logs are the same call by call, and so are the variable names.
    @Test
    func upRestartAndRemapUsr1RunScriptsAndSignalsAsOpenVPN() throws {
        let env = try Self.prepare()
        defer { env.lab.teardown() }
        let script = try Self.writeCallRecorder(env)
        let common = ["script-security 2", "up \(script)", "down \(script)", "up-restart", "persist-tun", "ping 1"]
        let (nameA, nameB) = ("swvpnd-A-signals", "openvpn-B-signals")
        let peers = try Self.startPair(
            env, extraA: common + ["setenv SIDE A"], extraB: common + ["setenv SIDE B"], nameA: nameA, nameB: nameB)
        try Self.eventually("the up scripts") { Self.calls(env, .a).count == 1 && Self.calls(env, .b).count == 1 }

        try Self.signalBoth(env, peers, SIGUSR1, calls: 3, heard: 2)
        Self.expectLogged("SIGUSR1[hard,] received, process restarting", by: peers)

        try Self.setRemap(env, "remap-usr1 SIGHUP", labels: [nameA, nameB])
        try Self.signalBoth(env, peers, SIGHUP, calls: 5, heard: 3)
        try Self.signalBoth(env, peers, SIGUSR1, calls: 7, heard: 4)
        Self.expectLogged("SIGHUP[soft,] received, process restarting", by: peers)

        try Self.setRemap(env, "remap-usr1 SIGTERM", labels: [nameA, nameB])
        try Self.signalBoth(env, peers, SIGHUP, calls: 9, heard: 5)
        for daemon in [peers.a, peers.b] { kill(daemon.pid, SIGUSR1) }
        for daemon in [peers.a, peers.b] {
            #expect(daemon.waitForExit(timeout: 20), "\(daemon.label) did not exit on a remapped SIGUSR1")
            #expect(daemon.process.terminationStatus == 0, "\(daemon.label) exit status")
        }
        Self.expectLogged("SIGTERM[soft,] received, process exiting", by: peers)

        let (callsA, callsB) = (Self.calls(env, .a), Self.calls(env, .b))
        #expect(callsB.count == 10, "openvpn's script calls:\n\(callsB.joined(separator: "\n"))")
        #expect(
            callsA == callsB,
            "script calls, swvpnd:\n\(callsA.joined(separator: "\n"))\nopenvpn:\n\(callsB.joined(separator: "\n"))")
        for n in 0..<min(callsA.count, callsB.count) {
            let (a, b) = (Self.callVariables(env, .a, n), Self.callVariables(env, .b, n))
            #expect(
                a == b,
                "call \(n) (\(callsB[n])) variables: openvpn only \(b.subtracting(a).sorted()); swvpnd only \(a.subtracting(b).sorted())"
            )
        }
        try LogScan.assertClean([peers.a, peers.b])
    }
}
