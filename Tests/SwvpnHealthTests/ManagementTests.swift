import Testing

@testable import SwvpnHealth

struct ManagementTests {
    let title = "swvpnd 0.1.0 x86_64-pc-linux-gnu"

    func context(_ s: TunnelSnapshot = Fixtures.upSnapshot()) -> ManagementSession.Context {
        var states = BoundedHistory<ManagementStateEntry>()
        states.append(ManagementStateEntry(unixTime: 10, name: "ASSIGN_IP", tunnelAddress: "10.8.0.1"))
        var log = ManagementStateLog()
        states.append(log.record(.connected(s))[0])
        var logs = BoundedHistory<ManagementLogEntry>()
        logs.append(ManagementLogEntry(unixTime: 9, flags: "I", message: "swvpnd starting"))
        logs.append(ManagementLogEntry(unixTime: 11, flags: "W", message: "two\nlines"))
        return ManagementSession.Context(snapshot: s, localTime: "2026-11-30 14:00:00", states: states, logs: logs)
    }

    func run(_ m: inout ManagementSession, _ line: String) -> [String] {
        m.handle(line: line, context: context()).lines
    }

    @Test func greetsLikeOpenVPN() {
        let m = ManagementSession(title: title, password: nil)
        #expect(m.greeting == [">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info"])
        #expect(m.prompt == nil)
    }

    @Test func versionPidHelp() {
        var m = ManagementSession(title: title, password: nil)
        #expect(run(&m, "version") == ["OpenVPN Version: \(title)", "Management Version: 5", "END"])
        #expect(run(&m, "version 3").isEmpty)
        #expect(run(&m, "pid") == ["SUCCESS: pid=4242"])
        let help = run(&m, "help")
        #expect(help.first == "Management Interface for \(title)")
        #expect(help[1] == "Commands:")
        #expect(help.last == "END")
        #expect(help.contains { $0.hasPrefix("signal s               : ") })
    }

    @Test func stateHistoryAndRealtime() {
        var m = ManagementSession(title: title, password: nil)
        #expect(run(&m, "state") == ["1800000000,CONNECTED,SUCCESS,10.8.0.1,198.51.100.7,1194,,", "END"])
        #expect(
            run(&m, "state all") == [
                "10,ASSIGN_IP,,10.8.0.1,,,,", "1800000000,CONNECTED,SUCCESS,10.8.0.1,198.51.100.7,1194,,", "END",
            ])
        #expect(run(&m, "state 5").count == 3)
        #expect(run(&m, "state on") == ["SUCCESS: real-time state notification set to ON"])
        #expect(m.stateRealtime)
        let lost = ManagementStateEntry(unixTime: 20, name: "RECONNECTING", detail: "ping-restart")
        #expect(m.notification(state: lost) == ">STATE:20,RECONNECTING,ping-restart,,,,,")
        #expect(
            run(&m, "state off all") == [
                "SUCCESS: real-time state notification set to OFF",
                "10,ASSIGN_IP,,10.8.0.1,,,,", "1800000000,CONNECTED,SUCCESS,10.8.0.1,198.51.100.7,1194,,", "END",
            ])
        #expect(m.notification(state: lost) == nil)
        #expect(run(&m, "state bogus") == ["ERROR: state parameter must be 'on' or 'off' or some number n or 'all'"])
    }

    @Test func logHistory() {
        var m = ManagementSession(title: title, password: nil)
        #expect(run(&m, "log") == ["ERROR: the 'log' command requires at least 1 parameter"])
        #expect(run(&m, "log all") == ["9,I,swvpnd starting", "11,W,two lines", "END"])
        #expect(
            run(&m, "log on all") == [
                "SUCCESS: real-time log notification set to ON", "9,I,swvpnd starting", "11,W,two lines", "END",
            ])
        #expect(m.notification(log: ManagementLogEntry(unixTime: 12, flags: "I", message: "x")) == ">LOG:12,I,x")
    }

    @Test func statusIsOpenVPNsPointToPointBlock() {
        var m = ManagementSession(title: title, password: nil)
        let expected = [
            "OpenVPN STATISTICS", "Updated,2026-11-30 14:00:00", "TUN/TAP read bytes,1000",
            "TUN/TAP write bytes,3500000", "TCP/UDP read bytes,3600000", "TCP/UDP write bytes,1200",
            "Auth read bytes,3599000", "END",
        ]
        #expect(run(&m, "status") == expected)
        #expect(run(&m, "status 3") == expected)
    }

    @Test func bytecountSignalHoldLoadStats() {
        var m = ManagementSession(title: title, password: nil)
        #expect(run(&m, "bytecount") == ["ERROR: the 'bytecount' command requires 1 parameter"])
        #expect(run(&m, "bytecount 5") == ["SUCCESS: bytecount interval changed"])
        #expect(m.bytecountSeconds == 5)
        #expect(m.bytecount(Fixtures.upSnapshot()) == ">BYTECOUNT:3600000,1200")
        #expect(run(&m, "bytecount 0") == ["SUCCESS: bytecount interval changed"])
        #expect(m.bytecountSeconds == 0)
        let r = m.handle(line: "signal SIGUSR1", context: context())
        #expect(r.lines == ["SUCCESS: signal SIGUSR1 thrown"])
        #expect(r.actions == [.signal("SIGUSR1")])
        let bad = m.handle(line: "signal SIGKILL", context: context())
        #expect(bad.lines == ["ERROR: signal 'SIGKILL' is not a known signal type"] && bad.actions.isEmpty)
        #expect(run(&m, "hold") == ["SUCCESS: hold=0"])
        #expect(run(&m, "hold release") == ["SUCCESS: hold release succeeded"])
        #expect(run(&m, "load-stats") == ["SUCCESS: nclients=0,bytesin=3600000,bytesout=1200"])
        #expect(run(&m, "kill 1.2.3.4:5") == ["ERROR: unknown command, enter 'help' for more options"])
        #expect(run(&m, "").isEmpty)
        #expect(m.handle(line: "quit", context: context()).actions == [.close])
        #expect(m.handle(line: "exit", context: context()).actions == [.close])
    }

    @Test func passwordGate() {
        var m = ManagementSession(title: title, password: "s3cret")
        #expect(m.greeting.isEmpty)
        #expect(m.prompt == "ENTER PASSWORD:")
        #expect(run(&m, "pid") == ["ERROR: bad password"])
        #expect(run(&m, "s3cre") == ["ERROR: bad password"])
        #expect(m.notification(state: ManagementStateEntry(unixTime: 1, name: "WAIT")) == nil)
        #expect(
            run(&m, "s3cret") == [
                "SUCCESS: password is correct",
                ">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info",
            ])
        #expect(run(&m, "pid") == ["SUCCESS: pid=4242"])
        var n = ManagementSession(title: title, password: "pw")
        _ = run(&n, "a")
        _ = run(&n, "b")
        #expect(n.handle(line: "c", context: context()).actions == [.close])
    }

    @Test func tokenizerAndAtoi() {
        #expect(ManagementSession.tokenize("  state   on  all ") == ["state", "on", "all"])
        #expect(ManagementSession.tokenize("echo \"a b\" c\\ d") == ["echo", "a b", "c d"])
        #expect(ManagementSession.atoi("12abc") == 12)
        #expect(ManagementSession.atoi("x") == 0)
        #expect(ManagementSession.atoi("99999999999999999999") == Int(Int32.max))
    }

    @Test func startupStatesAsOpenVPNRecordsThem() {
        var s = TunnelSnapshot(tunnel: "x", version: "1")
        s.unixTime = 7
        s.tunnelAddress = "10.8.0.1"
        var log = ManagementStateLog()
        #expect(
            log.record(.started(s, hasRoutes: true)).map(\.line)
                == ["7,CONNECTING,,,,,,", "7,ASSIGN_IP,,10.8.0.1,,,,", "7,ADD_ROUTES,,,,,,"])
        #expect(log.record(.started(s, hasRoutes: false)).count == 2)
        // After SIGHUP openvpn opens the device (and routes) again, but says CONNECTING only once.
        #expect(log.record(.setUpAgain(s, hasRoutes: true)).map(\.name) == ["ASSIGN_IP", "ADD_ROUTES"])
    }

    /// Every step is its own entry and its own `>STATE:`, however many fall in one second: a restart
    /// and the peer's return within the same second are both seen, then the exit.
    @Test func everyStateChangeIsRecordedAndNotifiedEvenWithinOneSecond() {
        var up = TunnelSnapshot(tunnel: "x", version: "1")
        up.unixTime = 5
        up.tunnelAddress = "10.8.0.1"
        up.state = .up
        up.peer = "[2001:db8::7]:1194"
        up.local = "192.0.2.1:1194"
        var log = ManagementStateLog()
        var watcher = ManagementSession(title: title, password: nil)
        _ = watcher.handle(line: "state on", context: context())
        var notified: [String] = []
        func step(_ event: ManagementStateLog.Event) {
            notified += log.record(event).compactMap { watcher.notification(state: $0) }
        }
        step(.started(up, hasRoutes: false))
        step(.connected(up))
        step(.reconnecting(unixTime: 5, detail: "ping-restart"))
        step(.connected(up))
        step(.reconnecting(unixTime: 5, detail: "SIGHUP"))
        step(.setUpAgain(up, hasRoutes: false))
        step(.connected(up))
        step(.exiting(unixTime: 5, signal: "SIGTERM[hard,] received"))
        let connected = ">STATE:5,CONNECTED,SUCCESS,10.8.0.1,2001:db8::7,1194,192.0.2.1,1194"
        #expect(
            notified == [
                ">STATE:5,CONNECTING,,,,,,", ">STATE:5,ASSIGN_IP,,10.8.0.1,,,,", connected,
                ">STATE:5,RECONNECTING,ping-restart,,,,,", connected, ">STATE:5,RECONNECTING,SIGHUP,,,,,",
                ">STATE:5,ASSIGN_IP,,10.8.0.1,,,,", connected, ">STATE:5,EXITING,SIGTERM,,,,,",
            ])
        #expect(log.history.entries.map { ">STATE:" + $0.line } == notified)
        // `state all` replays the same history; a client without `state on` gets no notification.
        let replay = ManagementSession.Context(
            snapshot: up, localTime: "2026-11-30 14:00:00", states: log.history, logs: BoundedHistory())
        var other = ManagementSession(title: title, password: nil)
        #expect(other.handle(line: "state all", context: replay).lines == log.history.entries.map(\.line) + ["END"])
        #expect(other.notification(state: log.history.entries[0]) == nil)
    }

    /// EXITING's detail as openvpn's `signal_restart_status` gives it: the signal text, else the signal.
    @Test func exitingDetailIsTheSignalTextOrTheSignal() {
        #expect(ManagementStateLog.signalDetail("SIGTERM[hard,] received") == "SIGTERM")
        #expect(ManagementStateLog.signalDetail("SIGINT[hard,] received") == "SIGINT")
        #expect(ManagementStateLog.signalDetail("SIGTERM[soft,ping-exit] received") == "ping-exit")
        #expect(
            ManagementStateLog.signalDetail("SIGTERM[soft,exit-with-notification] received")
                == "exit-with-notification")
        #expect(ManagementStateLog.signalDetail("SIGTERM[hard,tun-error] received") == "tun-error")
        var log = ManagementStateLog(capacity: 2)
        log.record(.exiting(unixTime: 9, signal: "SIGTERM[soft,ping-exit] received"))
        #expect(log.history.entries.map(\.line) == ["9,EXITING,ping-exit,,,,,"])
    }
}
