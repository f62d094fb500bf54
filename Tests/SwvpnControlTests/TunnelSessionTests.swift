import SwvpnControl
import SwvpnProtocol
import Testing

/// TunnelSession stepped on a virtual clock: every event carries its time, nothing sleeps.
struct TunnelSessionTests {
    typealias S = TunnelSession.Settings

    static func settings(_ configure: (inout S) -> Void = { _ in }) -> S {
        var s = S()
        s.notify = true
        s.timers = PeerTimerSettings(occ: false)
        configure(&s)
        return s
    }

    /// A started session whose routes are in and whose READY went out.
    static func running(_ s: S, now: Int64 = 100, peerKnown: Bool = true) -> TunnelSession {
        var session = TunnelSession(settings: s, now: now)
        _ = session.handle(.started(now: now, peerKnown: peerKnown))
        _ = session.handle(.routesInstalled(complete: true))
        return session
    }

    static func logs(_ actions: [TunnelAction]) -> [String] {
        actions.compactMap { if case .log(_, let text) = $0 { text } else { nil } }
    }

    static func withoutLogs(_ actions: [TunnelAction]) -> [TunnelAction] {
        actions.filter { if case .log = $0 { false } else { true } }
    }

    // MARK: READY

    @Test func readyOnlyOnceTheRoutesAreIn() {
        var session = TunnelSession(settings: Self.settings(), now: 100)
        #expect(session.handle(.started(now: 100, peerKnown: true)) == [.installRoutes])
        #expect(session.handle(.routesInstalled(complete: false)) == [])
        #expect(session.state.routes == .missing)
        #expect(!session.state.readySent)
        // Missing routes are retried when the clock is a multiple of 5 s, and READY follows them.
        #expect(!session.handle(.tick(Tick(now: 101))).contains(.installRoutes))
        #expect(session.handle(.tick(Tick(now: 105))).contains(.installRoutes))
        #expect(
            session.handle(.routesInstalled(complete: true)) == [
                .notifyReady(status: "waiting for peer, rx 0 B tx 0 B")
            ])
        #expect(session.state.routes == .installed)
        #expect(session.handle(.routesInstalled(complete: true)) == [], "READY=1 twice")
        #expect(!session.handle(.tick(Tick(now: 110))).contains(.installRoutes))
    }

    @Test func routeDelayWaitsForThePeerThenTheDelay() {
        var session = TunnelSession(settings: Self.settings { $0.routeDelaySeconds = 2 }, now: 0)
        #expect(session.handle(.started(now: 0, peerKnown: true)) == [])
        #expect(session.state.routes == .pending)
        #expect(!session.handle(.tick(Tick(now: 5))).contains(.installRoutes), "pending routes are not retried")
        let heard = session.handle(.peerAuthenticated(address: "[AF_INET]10.0.0.2:1194", now: 7))
        #expect(Self.withoutLogs(heard) == [.installRoutesAfter(seconds: 2, generation: 1)])
        #expect(Self.logs(heard) == ["Peer Connection Initiated with [AF_INET]10.0.0.2:1194"])
        #expect(session.handle(.routeDelayElapsed(generation: 0)) == [], "a timer of an earlier start")
        #expect(session.handle(.routeDelayElapsed(generation: 1)) == [.installRoutes])
        #expect(session.handle(.routeDelayElapsed(generation: 1)) == [])
        let done = session.handle(.routesInstalled(complete: true))
        #expect(Self.withoutLogs(done).count == 1)
        #expect(Self.logs(done) == ["Initialization Sequence Completed"])
    }

    @Test func routeNoExecIsReadyAtOnceAndWithoutNotifySocketNothingIsNotified() {
        var session = TunnelSession(settings: Self.settings { $0.routeNoExec = true }, now: 0)
        #expect(
            session.handle(.started(now: 0, peerKnown: false)) == [
                .notifyReady(status: "waiting for peer, rx 0 B tx 0 B")
            ])
        var quiet = TunnelSession(settings: Self.settings { $0.notify = false }, now: 0)
        _ = quiet.handle(.started(now: 0, peerKnown: false))
        #expect(quiet.handle(.routesInstalled(complete: true)) == [])
        #expect(quiet.state.readySent)
        #expect(Self.withoutLogs(quiet.handle(.tick(Tick(now: 1)))) == [])
    }

    // MARK: Pings and inactivity

    @Test func pingsThenPingRestartMarksThePeerLost() {
        var session = Self.running(
            Self.settings { $0.timers = PeerTimerSettings(ping: 1, inactivity: .restart(seconds: 4), occ: false) },
            now: 0)
        _ = session.handle(.peerAuthenticated(address: "[AF_INET]10.0.0.2:1194", now: 0))
        #expect(session.state.peer == .up)
        var pings: [Int64] = []
        var restartAt: Int64?
        for now in Int64(1)...10 where restartAt == nil {
            let actions = session.handle(
                .tick(Tick(now: now, lastSent: pings.last ?? 0, lastReceived: 0, peer: "10.0.0.2:1194")))
            if actions.contains(.sendPing) { pings.append(now) }
            if actions.contains(.restart(.pingRestart)) {
                restartAt = now
                #expect(
                    Self.logs(actions).starts(with: [
                        "Inactivity timeout (--ping-restart), restarting",
                        "SIGUSR1[soft,ping-restart] received, process restarting",
                    ]))
            }
        }
        #expect(pings == [1, 2, 3])
        #expect(restartAt == 4)
        #expect(session.state.peer == .lost(.pingRestart))
        #expect(session.state.since == 4)
        #expect(session.state.restarts == [.pingRestart: 1])
        #expect(session.statusText == "peer lost (ping-restart), waiting for peer, rx 0 B tx 0 B")
        // Back: up again, the reason is gone.
        _ = session.handle(.peerAuthenticated(address: "[AF_INET]10.0.0.2:1194", now: 6))
        #expect(session.state.peer == .up)
    }

    @Test func pingExitExits() {
        var session = Self.running(
            Self.settings { $0.timers = PeerTimerSettings(inactivity: .exit(seconds: 3), occ: false) }, now: 0)
        #expect(!session.handle(.tick(Tick(now: 2))).contains { if case .exit = $0 { true } else { false } })
        let actions = session.handle(.tick(Tick(now: 3)))
        #expect(actions.last == .exit(reason: "SIGTERM[soft,ping-exit] received"))
        #expect(Self.logs(actions).contains("Inactivity timeout (--ping-exit), exiting"))
        #expect(session.isExiting)
        #expect(session.handle(.tick(Tick(now: 4))) == [], "nothing after exit")
    }

    @Test func noPingWithoutAPeerAddress() {
        var session = Self.running(
            Self.settings { $0.timers = PeerTimerSettings(ping: 1, occ: false) }, now: 0, peerKnown: false)
        #expect(!session.handle(.tick(Tick(now: 1))).contains(.sendPing))
        _ = session.handle(.peerAddressKnown(now: 2))
        #expect(session.handle(.tick(Tick(now: 2, peer: "10.0.0.2:1194"))).contains(.sendPing))
    }

    // MARK: Exit

    @Test func sigtermWithExitNotifyTellsThePeerForNSecondsThenExits() {
        var session = Self.running(Self.settings { $0.exitNotifySeconds = 2 }, now: 50)
        let first = session.handle(.signal(.terminate, now: 50, peerKnown: true))
        #expect(Self.withoutLogs(first) == [.sendOCCExit])
        #expect(Self.logs(first) == ["SIGTERM received, sending exit notification to peer"])
        #expect(session.isExiting)
        #expect(session.handle(.signal(.user1, now: 50, peerKnown: true)) == [], "no restart while exiting")
        #expect(session.handle(.signal(.terminate, now: 50, peerKnown: true)) == [])
        #expect(session.handle(.tick(Tick(now: 51, peer: "p"))).first == .sendOCCExit)
        #expect(
            session.handle(.tick(Tick(now: 52, peer: "p"))) == [
                .exit(reason: "SIGTERM[soft,exit-with-notification] received")
            ])
    }

    @Test func sigtermWithoutAPeerOrNotifyExitsAtOnce() {
        var noPeer = Self.running(Self.settings { $0.exitNotifySeconds = 2 })
        #expect(
            noPeer.handle(.signal(.terminate, now: 100, peerKnown: false)) == [.exit(reason: "SIGTERM[hard,] received")]
        )
        var plain = Self.running(Self.settings())
        #expect(
            plain.handle(.signal(.interrupt, now: 100, peerKnown: true)) == [.exit(reason: "SIGINT[hard,] received")])
        var tun = Self.running(Self.settings())
        #expect(tun.handle(.tunFailed("EIO")).last == .exit(reason: "SIGTERM[hard,tun-error] received"))
    }

    // MARK: Restarts, remotes, OCC

    @Test func pingRestartRotatesThroughTheRemotes() {
        var session = Self.running(
            Self.settings {
                $0.remoteCount = 3
                $0.timers = PeerTimerSettings(inactivity: .restart(seconds: 5), occ: false)
            }, now: 0)
        var used: [Int] = []
        for now in Int64(1)...30 {
            for case .useRemote(let index) in session.handle(.tick(Tick(now: now))) { used.append(index) }
        }
        #expect(used == [1, 2, 0, 1, 2, 0])
        #expect(session.state.restarts[.pingRestart] == 6)
        #expect(session.state.peer == .waiting, "the peer was never up: nothing lost")
    }

    @Test func occExitRestartsAndOCCRequestIsAnswered() {
        var session = Self.running(Self.settings { $0.replayPersist = true })
        _ = session.handle(.peerAuthenticated(address: "a", now: 101))
        #expect(Self.withoutLogs(session.handle(.occ(.request, now: 102))) == [.sendOCCReply])
        #expect(Self.withoutLogs(session.handle(.occ(.reply("V4,x"), now: 102))) == [.checkOCCReply("V4,x")])
        let exit = session.handle(.occ(.exit, now: 103))
        #expect(Self.withoutLogs(exit) == [.saveReplayMark, .restart(.remoteExit)])
        #expect(
            Self.logs(exit) == [
                "OCC exit message received by peer", "SIGUSR1[soft,remote-exit] received, process restarting",
            ])
        #expect(session.state.peer == .lost(.remoteExit))
        #expect(
            Self.withoutLogs(session.handle(.signal(.user1, now: 104, peerKnown: true))) == [
                .saveReplayMark, .restart(.user),
            ])
        #expect(session.state.restarts == [.remoteExit: 1, .user: 1])
        #expect(session.state.peer == .lost(.remoteExit), "a restart with the peer already gone keeps the first reason")
        #expect(session.handle(.signal(.user2, now: 105, peerKnown: true)) == [.logStatistics])
    }

    @Test func udpLinkErrorsAreLoggedNotRestarted() {
        var session = Self.running(Self.settings())
        #expect(
            session.handle(.linkFailed("sendmsg: ENETUNREACH", now: 101)) == [
                .log(.error, "link error: sendmsg: ENETUNREACH")
            ])
        #expect(session.handle(.streamDecryptFailed("bad HMAC", now: 101)) == [])
    }

    // MARK: TCP

    @Test func tcpClientBackoffDoublesAfterTheFifthFailureUpToTheMaximum() {
        var session = Self.running(
            Self.settings {
                $0.transport = .tcpClient
                $0.connectRetrySeconds = 5
                $0.connectRetryMaxSeconds = 60
            })
        var delays: [Int64] = []
        for _ in 1...9 {
            for case .connect(let seconds) in session.handle(.tcpConnectFailed(now: 100)) { delays.append(seconds) }
        }
        #expect(delays == [5, 5, 5, 5, 5, 10, 20, 40, 60])
        _ = session.handle(.tcpConnected(address: "[AF_INET]10.0.0.2:1194", now: 200))
        // A reset of a live connection: restart, then reconnect after the base delay (the count starts over).
        let reset = session.handle(.linkFailed("Connection reset by peer", now: 210))
        #expect(Self.withoutLogs(reset) == [.restart(.connectionReset), .connect(afterSeconds: 5)])
        #expect(
            Self.logs(reset) == [
                "Connection reset by peer", "Connection reset, restarting",
                "SIGUSR1[soft,connection-reset] received, process restarting", "Restart pause, 5 second(s)",
            ])
        #expect(session.handle(.linkFailed("EOF", now: 211)) == [], "no connection: nothing to reset")
    }

    @Test func tcpClientConnectsAtStartAndMovesToTheNextRemoteOnFailure() {
        var session = TunnelSession(
            settings: Self.settings {
                $0.transport = .tcpClient
                $0.remoteCount = 2
            }, now: 0)
        #expect(session.handle(.started(now: 0, peerKnown: false)) == [.installRoutes, .connect(afterSeconds: 0)])
        let failed = session.handle(.tcpConnectFailed(now: 1))
        #expect(Self.withoutLogs(failed) == [.useRemote(index: 1), .connect(afterSeconds: 1)])
        // openvpn's lines for a failed connect (refused, or past connect-timeout).
        #expect(
            Self.logs(failed) == [
                "SIGUSR1[connection failed(soft),connection-failed] received, process restarting",
                "Restart pause, 1 second(s)",
            ])
        _ = session.handle(.tcpConnected(address: "b", now: 2))
        // ping-restart on a live connection moves on once (with the reconnect), not twice.
        let restart = Self.withoutLogs(session.handle(.signal(.user1, now: 3, peerKnown: true)))
        #expect(restart == [.restart(.user), .useRemote(index: 0), .connect(afterSeconds: 1)])
    }

    @Test func tcpDecryptErrorRestartsTheConnection() {
        var session = Self.running(Self.settings { $0.transport = .tcpServer })
        #expect(session.handle(.streamDecryptFailed("bad HMAC", now: 101)) == [], "not connected yet")
        _ = session.handle(.tcpConnected(address: "c", now: 102))
        _ = session.handle(.peerAuthenticated(address: "c", now: 102))
        let actions = session.handle(.streamDecryptFailed("packet HMAC authentication failed", now: 103))
        #expect(Self.withoutLogs(actions) == [.restart(.decryptionError)], "a server waits; it does not connect")
        #expect(session.state.peer == .lost(.decryptionError))
    }

    // MARK: SIGHUP and set-up failures

    @Test func sighupNotifiesReloadingThenReadyOnceBackAndKeepsCounting() {
        var session = Self.running(Self.settings(), now: 0)
        _ = session.handle(.tick(Tick(now: 1, tunWriteBytes: 2048, tunReadBytes: 100)))
        #expect(Self.withoutLogs(session.handle(.signal(.hangUp, now: 2, peerKnown: false))) == [.reloadConfig])
        #expect(session.handle(.reloadFailed("x.conf:3: unknown directive")).count == 1)
        #expect(session.handle(.configReloaded(now: 3)) == [.notifyReloading, .rebuild(signal: "sighup")])
        #expect(session.handle(.tick(Tick(now: 3))) == [], "no tick while rebuilding")
        #expect(session.handle(.signal(.hangUp, now: 3, peerKnown: false)) == [], "one reload at a time")
        #expect(session.handle(.started(now: 4, peerKnown: true)) == [.installRoutes])
        #expect(
            session.handle(.routesInstalled(complete: true)) == [
                .notifyReady(status: "waiting for peer, rx 2.0 KB tx 100 B")
            ])
        let after = session.handle(.tick(Tick(now: 5, tunWriteBytes: 1024, tunReadBytes: 0)))
        #expect(after.contains(.notifyStatus("waiting for peer, rx 3.0 KB tx 100 B")))
        #expect(session.state.restarts == [.reload: 1])
    }

    @Test func aBusyPortIsTriedFiveTimesThenTheDaemonFails() {
        var session = TunnelSession(settings: Self.settings(), now: 0)
        let why = "cannot open UDP socket on 0.0.0.0:1194: bind: Address already in use"
        for attempt in 1...4 {
            let actions = session.handle(.setUpFailed(why, addressInUse: true))
            #expect(Self.withoutLogs(actions) == [.retrySetUp(afterSeconds: 5)], "try \(attempt)")
        }
        #expect(session.handle(.setUpFailed(why, addressInUse: true)) == [.fail("\(why); gave up after 5 tries")])
        var other = TunnelSession(settings: Self.settings(), now: 0)
        #expect(
            other.handle(.setUpFailed("cannot open TUN device", addressInUse: false)) == [
                .fail("cannot open TUN device")
            ])
    }

    @Test func aFailedRebuildExitsAndABusyPortCountsAgainAfterAStart() {
        var session = Self.running(Self.settings())
        _ = session.handle(.configReloaded(now: 101))
        let failed = session.handle(.setUpFailed("up script failed", addressInUse: false))
        #expect(failed.last == .exit(reason: "SIGTERM[hard,restart-failed] received"))
        var busy = TunnelSession(settings: Self.settings(), now: 0)
        for _ in 1...4 { _ = busy.handle(.setUpFailed("busy", addressInUse: true)) }
        _ = busy.handle(.started(now: 30, peerKnown: false))
        _ = busy.handle(.configReloaded(now: 40))
        #expect(
            Self.withoutLogs(busy.handle(.setUpFailed("busy", addressInUse: true))) == [.retrySetUp(afterSeconds: 5)])
    }

    // MARK: Periodic work

    @Test func dropsAreSummedEveryTenSeconds() {
        var session = Self.running(Self.settings(), now: 0)
        var lines: [(Int64, String)] = []
        for now in Int64(1)...35 {
            let drops = [
                DropTally(label: "bad HMAC", count: UInt64(now)),
                DropTally(label: "replayed", count: 0, isReplay: true),
            ]
            for line in Self.logs(session.handle(.tick(Tick(now: now, drops: drops)))) where line.hasPrefix("dropped") {
                lines.append((now, line))
            }
        }
        #expect(lines.map(\.0) == [20, 30], "the first report only takes the baseline (t=10)")
        #expect(lines.first?.1 == "dropped 10 packets in the last 10 s: 10 bad HMAC")
    }

    @Test func muteReplayWarningsSilencesReplayOnlySummaries() {
        var session = Self.running(Self.settings { $0.muteReplayWarnings = true }, now: 0)
        func tick(_ now: Int64, _ replayed: UInt64, _ bad: UInt64) -> [String] {
            let drops = [
                DropTally(label: "bad HMAC", count: bad), DropTally(label: "replayed", count: replayed, isReplay: true),
            ]
            return Self.logs(session.handle(.tick(Tick(now: now, drops: drops)))).filter { $0.hasPrefix("dropped") }
        }
        #expect(tick(10, 0, 0) == [])
        #expect(tick(20, 5, 0) == [])
        #expect(tick(30, 9, 1) == ["dropped 5 packets in the last 10 s: 1 bad HMAC, 4 replayed"])
    }

    @Test func statusFileStatusAndWatchdogCadence() {
        var session = Self.running(Self.settings { $0.statusFileSeconds = 3 }, now: 0)
        var writes: [Int64] = []
        var statuses: [Int64] = []
        var pets: [Int64] = []
        for now in Int64(60)...130 {
            // The receive loop stalls from 100 on: the watchdog is no longer petted after 3 s.
            let actions = session.handle(
                .tick(Tick(now: now, rxHeartbeat: min(now, 100), tunWriteBytes: now < 90 ? 0 : 1)))
            if actions.contains(.writeStatusFile) { writes.append(now) }
            if actions.contains(where: { if case .notifyStatus = $0 { true } else { false } }) { statuses.append(now) }
            if actions.contains(.notifyWatchdog) { pets.append(now) }
        }
        #expect(writes == Array(stride(from: 60, through: 130, by: 3)))
        #expect(statuses == [60, 90], "STATUS= only when the text changes")
        #expect(pets == Array(60...103))
    }

    // MARK: Formats

    @Test func formats() {
        #expect(StatusFormat.humanBytes(1023) == "1023 B")
        #expect(StatusFormat.humanBytes(1536) == "1.5 KB")
        #expect(StatusFormat.humanBytes(5 << 30) == "5.0 GB")
        #expect(StatusFormat.signalText("SIGTERM[soft,ping-exit] received") == "ping-exit")
        #expect(StatusFormat.signalText("SIGINT[hard,] received") == "sigint")
        var counters = StatusFormat.Counters(tunReadBytes: 1, tunWriteBytes: 2)
        (counters.preCompress, counters.postCompress, counters.preDecompress, counters.postDecompress) = (3, 4, 5, 6)
        let lines = StatusFormat.statisticsLines(counters, updated: "now", compressionFraming: true)
        #expect(lines.first == "OpenVPN STATISTICS" && lines.last == "END")
        #expect(
            Array(lines[7...10]) == [
                "pre-compress bytes,3", "post-compress bytes,4", "pre-decompress bytes,5", "post-decompress bytes,6",
            ])
        #expect(
            !StatusFormat.statisticsLines(counters, updated: "now", compressionFraming: false).contains {
                $0.hasPrefix("pre-compress")
            })
    }
}
