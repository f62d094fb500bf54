import SwvpnConfig
import SwvpnControl
import SwvpnProtocol
import Testing

/// openvpn's lifecycle options on the virtual clock: route-up, ipchange, up-restart, inactive,
/// connect-retry-max, remap-usr1.
struct TunnelSessionLifecycleTests {
    typealias T = TunnelSessionTests

    static func scripts(_ actions: [TunnelAction]) -> [ScriptHook] {
        actions.compactMap { if case .runScript(let hook) = $0 { hook } else { nil } }
    }

    @Test func routeUpRunsOnceAfterTheFirstRouteAttemptOfEachSetUp() {
        var session = TunnelSession(settings: T.settings { $0.routeUpScript = true }, now: 0)
        #expect(session.handle(.started(now: 0, peerKnown: true)) == [.installRoutes])
        // Run whatever the routes reported (openvpn ignores add_routes' result), before READY.
        #expect(
            session.handle(.routesInstalled(complete: false)) == [.runScript(.routeUp)])
        _ = session.handle(.tick(Tick(now: 5)))
        #expect(
            session.handle(.routesInstalled(complete: true)) == [
                .notifyReady(status: "waiting for peer, rx 0 B tx 0 B")
            ],
            "a route retry does not run route-up again")
        // A soft restart keeps the routes: no route-up. A rebuild (SIGHUP) adds them again: route-up again.
        _ = session.handle(.signal(.user1, now: 6, peerKnown: true))
        #expect(Self.scripts(session.handle(.signal(.user1, now: 7, peerKnown: true))).isEmpty)
        _ = session.handle(.configReloaded(now: 8))
        #expect(session.handle(.started(now: 8, peerKnown: true)) == [.installRoutes])
        #expect(Self.scripts(session.handle(.routesInstalled(complete: true))) == [.routeUp])

        var noexec = TunnelSession(
            settings: T.settings {
                $0.routeUpScript = true
                $0.routeNoExec = true
            }, now: 0)
        #expect(Self.scripts(noexec.handle(.started(now: 0, peerKnown: true))) == [.routeUp], "route-noexec too")

        var delayed = TunnelSession(
            settings: T.settings {
                $0.routeUpScript = true
                $0.routeDelaySeconds = 2
            }, now: 0)
        #expect(Self.scripts(delayed.handle(.started(now: 0, peerKnown: true))).isEmpty)
        _ = delayed.handle(.peerAuthenticated(address: "a", now: 1))
        _ = delayed.handle(.routeDelayElapsed(generation: 1))
        #expect(Self.scripts(delayed.handle(.routesInstalled(complete: true))) == [.routeUp])
    }

    @Test func ipchangeRunsWhenThePeerIsFirstHeardAndWhenItMoves() {
        var session = T.running(T.settings { $0.ipchangeScript = true })
        let first = session.handle(.peerAuthenticated(address: "[AF_INET]10.0.0.2:1194", now: 101))
        #expect(Self.scripts(first) == [.ipchange(address: "[AF_INET]10.0.0.2:1194")])
        #expect(T.logs(first).first == "Peer Connection Initiated with [AF_INET]10.0.0.2:1194", "logged before")
        let moved = session.handle(.peerAuthenticated(address: "[AF_INET]10.0.0.9:5000", now: 102))
        #expect(Self.scripts(moved) == [.ipchange(address: "[AF_INET]10.0.0.9:5000")])
        // After a restart the peer is learned again, as openvpn's new link socket learns it.
        _ = session.handle(.signal(.user1, now: 103, peerKnown: true))
        #expect(Self.scripts(session.handle(.peerAuthenticated(address: "b", now: 104))) == [.ipchange(address: "b")])
        var off = T.running(T.settings())
        #expect(Self.scripts(off.handle(.peerAuthenticated(address: "a", now: 101))).isEmpty)
    }

    @Test func upRestartRunsDownThenUpAroundASoftRestart() {
        var session = T.running(
            T.settings {
                $0.upRestart = true
                $0.timers = PeerTimerSettings(inactivity: .restart(seconds: 5), occ: false)
            }, now: 0)
        let restart = session.handle(.tick(Tick(now: 5))).filter {
            switch $0 {
            case .runScript, .restart: true
            default: false
            }
        }
        #expect(
            restart == [
                .runScript(.downOnRestart(signal: "ping-restart")), .restart(.pingRestart), .runScript(.upOnRestart),
            ])
        let user = T.withoutLogs(session.handle(.signal(.user1, now: 6, peerKnown: true)))
        #expect(user == [.runScript(.downOnRestart(signal: "sigusr1")), .restart(.user), .runScript(.upOnRestart)])
        // Without up-restart, a soft restart runs no script.
        var plain = T.running(T.settings())
        #expect(Self.scripts(plain.handle(.signal(.user1, now: 101, peerKnown: true))).isEmpty)
    }

    @Test func inactiveExitsAfterNSecondsWithoutTunnelTraffic() {
        let settings = T.settings { $0.inactivity = LifecycleSettings.Inactivity(seconds: 10, minimumBytes: 0) }
        var session = T.running(settings, now: 0)
        // Traffic at 5 s restarts the timer: nothing at 10 s, exit at 15 s. Pings are not traffic.
        for now in Int64(1)...9 {
            let bytes: UInt64 = now >= 5 ? 100 : 0
            #expect(!session.isExiting)
            _ = session.handle(.tick(Tick(now: now, lastSent: now, tunReadBytes: bytes)))
        }
        for now in Int64(10)...14 {
            _ = session.handle(.tick(Tick(now: now, lastSent: now, tunReadBytes: 100)))
            #expect(!session.isExiting, "exited at \(now)")
        }
        let exit = session.handle(.tick(Tick(now: 15, tunReadBytes: 100)))
        #expect(T.logs(exit) == ["Inactivity timeout (--inactive), exiting"])
        #expect(exit.last == .exit(reason: "SIGTERM[soft,inactive] received"))
    }

    @Test func inactiveWithBytesNeedsThatMuchTrafficToRestartTheTimer() {
        let settings = T.settings { $0.inactivity = LifecycleSettings.Inactivity(seconds: 10, minimumBytes: 1000) }
        var session = T.running(settings, now: 0)
        // 300 bytes a second: the minimum is reached every 4th second, which keeps the tunnel up.
        var total: UInt64 = 0
        for now in Int64(1)...40 {
            total += 300
            _ = session.handle(.tick(Tick(now: now, tunWriteBytes: total - total / 2, tunReadBytes: total / 2)))
            #expect(!session.isExiting, "exited at \(now) with traffic above the minimum")
        }
        // 50 bytes a second: 1000 bytes take 20 s, longer than the 10 s timer.
        var exitedAt: Int64?
        for now in Int64(41)...80 where exitedAt == nil {
            total += 50
            if case .exit? = session.handle(.tick(Tick(now: now, tunReadBytes: total))).last { exitedAt = now }
        }
        #expect(exitedAt == 50, "the last restart was at 40: exit 10 s later")
    }

    @Test func inactiveSendsTheExitNotificationWhenConfigured() {
        var session = T.running(
            T.settings {
                $0.inactivity = LifecycleSettings.Inactivity(seconds: 3, minimumBytes: 0)
                $0.exitNotifySeconds = 2
            }, now: 0)
        var actions: [TunnelAction] = []
        for now in Int64(1)...6 { actions += session.handle(.tick(Tick(now: now, peer: "10.0.0.2:1194"))) }
        #expect(T.logs(actions).contains("SIGTERM received, sending exit notification to peer"))
        #expect(actions.contains(.sendOCCExit))
        #expect(actions.last == .exit(reason: "SIGTERM[soft,exit-with-notification] received"))
    }

    @Test func connectRetryMaxGivesUpAfterNAttemptsPerRemote() {
        var session = TunnelSession(
            settings: T.settings {
                $0.transport = .tcpClient
                $0.remoteCount = 2
                $0.connectRetryMax = 2
            }, now: 0)
        _ = session.handle(.started(now: 0, peerKnown: false))  // attempt 1
        for now in Int64(1)...3 {  // attempts 2, 3, 4
            #expect(
                session.handle(.tcpConnectFailed(now: now)).contains { if case .connect = $0 { true } else { false } })
        }
        let last = session.handle(.tcpConnectFailed(now: 4))
        #expect(
            T.withoutLogs(last) == [
                .fail("All connections have been connect-retry-max (2) times unsuccessful, exiting")
            ])
        #expect(T.logs(last) == ["SIGUSR1[connection failed(soft),connection-failed] received, process restarting"])
        #expect(session.handle(.tcpConnectFailed(now: 5)) == [], "stopped")

        // A connection that succeeded starts the count again.
        var again = TunnelSession(
            settings: T.settings {
                $0.transport = .tcpClient
                $0.connectRetryMax = 1
            }, now: 0)
        _ = again.handle(.started(now: 0, peerKnown: false))
        _ = again.handle(.tcpConnected(address: "a", now: 1))
        let reset = T.withoutLogs(again.handle(.linkFailed("EOF", now: 2)))
        #expect(reset == [.restart(.connectionReset), .connect(afterSeconds: 1)], "one more attempt after a loss")
        #expect(again.handle(.tcpConnectFailed(now: 3)).last?.isFail == true)
    }

    @Test func remapUsr1ToSIGTERMExitsAndToSIGHUPReloads() {
        var term = T.running(
            T.settings {
                $0.remapUser1 = .terminate
                $0.timers = PeerTimerSettings(inactivity: .restart(seconds: 5), occ: false)
            }, now: 0)
        let pingRestart = term.handle(.tick(Tick(now: 5)))
        #expect(pingRestart.last == .exit(reason: "SIGTERM[soft,ping-restart] received"))
        #expect(term.state.restarts.isEmpty, "no restart happened")
        // A SIGUSR1 from outside has no text in openvpn's lines; unmapped, it is a "hard" one.
        var userTerm = T.running(T.settings { $0.remapUser1 = .terminate })
        #expect(
            userTerm.handle(.signal(.user1, now: 1, peerKnown: true)).last == .exit(reason: "SIGTERM[soft,] received"))
        var plain = T.running(T.settings())
        #expect(
            T.logs(plain.handle(.signal(.user1, now: 1, peerKnown: true))) == [
                "SIGUSR1[hard,] received, process restarting"
            ])

        var hup = T.running(T.settings { $0.remapUser1 = .hangUp })
        let user = hup.handle(.signal(.user1, now: 101, peerKnown: true))
        #expect(T.withoutLogs(user) == [.reloadConfig])
        #expect(T.logs(user) == ["SIGHUP[soft,] received, process restarting"])
        #expect(T.withoutLogs(hup.handle(.configReloaded(now: 102))) == [.notifyReloading, .rebuild(signal: "sighup")])
        // A remapped ping-restart keeps its text for the down script, as openvpn's signal_description.
        var hupPing = T.running(
            T.settings {
                $0.remapUser1 = .hangUp
                $0.timers = PeerTimerSettings(inactivity: .restart(seconds: 5), occ: false)
            }, now: 0)
        #expect(
            T.logs(hupPing.handle(.tick(Tick(now: 5)))).last == "SIGHUP[soft,ping-restart] received, process restarting"
        )
        #expect(hupPing.handle(.configReloaded(now: 6)) == [.notifyReloading, .rebuild(signal: "ping-restart")])
    }

    /// openvpn remaps a failed tcp-client connect ("connection-failed") like any other soft SIGUSR1.
    @Test func aFailedConnectIsRemappedToo() {
        let client = { (remap: LifecycleSettings.RemappedSignal) in
            T.running(
                T.settings {
                    $0.transport = .tcpClient
                    $0.remapUser1 = remap
                }, peerKnown: false)
        }
        var term = client(.terminate)
        #expect(
            term.handle(.tcpConnectFailed(now: 101)).last == .exit(reason: "SIGTERM[soft,connection-failed] received"))
        var hup = client(.hangUp)
        let reload = hup.handle(.tcpConnectFailed(now: 101))
        #expect(T.withoutLogs(reload) == [.reloadConfig])
        #expect(T.logs(reload) == ["SIGHUP[soft,connection-failed] received, process restarting"])
        // A remote that did not resolve is no failed connect: only the next attempt, never remapped.
        #expect(T.withoutLogs(hup.handle(.tcpConnectFailed(now: 102, unresolved: true))) == [.connect(afterSeconds: 1)])
    }
}

extension TunnelAction {
    fileprivate var isFail: Bool { if case .fail = self { true } else { false } }
}
