import SwvpnControl
import SwvpnProtocol
import Testing

/// The TCP connection policy (handshake deadline, stall limit, rate-limited connection lines) and the
/// watchdog's liveness rule, on a virtual clock.
struct TunnelSessionTCPTests {
    typealias S = TunnelSession.Settings
    static let peer = "[AF_INET]10.77.0.1:40000"

    static func server(_ configure: (inout S) -> Void = { _ in }) -> TunnelSession {
        TunnelSessionTests.running(
            TunnelSessionTests.settings {
                $0.transport = .tcpServer
                configure(&$0)
            })
    }

    static func logs(_ actions: [TunnelAction]) -> [String] { TunnelSessionTests.logs(actions) }

    // MARK: Handshake deadline

    @Test func aSilentServerConnectionIsClosedAtTheHandshakeDeadlineAndTheNextOneIsServed() {
        var session = Self.server()
        #expect(TunnelSession.tcpHandshakeSeconds == 60)
        _ = session.handle(.tcpConnected(address: Self.peer, now: 100))
        for now in Int64(101)..<160 {
            #expect(!session.handle(.tick(Tick(now: now))).contains(.restart(.handshakeTimeout)), "at \(now)")
        }
        let closed = session.handle(.tick(Tick(now: 160)))
        #expect(TunnelSessionTests.withoutLogs(closed).starts(with: [.restart(.handshakeTimeout)]))
        #expect(
            Self.logs(closed).starts(with: [
                "TCP: no authenticated packet from \(Self.peer) within 60 s, closing the connection",
                "SIGUSR1[soft,handshake-timeout] received, process restarting",
            ]))
        #expect(session.state.restarts == [.handshakeTimeout: 1])
        #expect(session.state.peer == .waiting, "the peer was never up: not lost either")
        #expect(!session.handle(.tick(Tick(now: 161))).contains(.restart(.handshakeTimeout)), "closed once")
        // The real peer's connection (waiting in the backlog) authenticates: no deadline any more.
        _ = session.handle(.tcpConnected(address: Self.peer, now: 162))
        _ = session.handle(.peerAuthenticated(address: Self.peer, now: 163))
        for now in Int64(163)...400 {
            #expect(!session.handle(.tick(Tick(now: now))).contains(.restart(.handshakeTimeout)), "at \(now)")
        }
        #expect(session.state.peer == .up)
    }

    @Test func theHandshakeDeadlineIsASettingAndOnlyForServers() {
        var session = Self.server { $0.tcpHandshakeSeconds = 4 }
        _ = session.handle(.tcpConnected(address: Self.peer, now: 100))
        #expect(!session.handle(.tick(Tick(now: 103))).contains(.restart(.handshakeTimeout)))
        #expect(session.handle(.tick(Tick(now: 104))).contains(.restart(.handshakeTimeout)))
        // A tcp-client's only connection is its own: it waits for the peer (ping-restart decides).
        var client = TunnelSessionTests.running(TunnelSessionTests.settings { $0.transport = .tcpClient })
        _ = client.handle(.tcpConnected(address: Self.peer, now: 100))
        for now in Int64(101)...400 {
            #expect(!client.handle(.tick(Tick(now: now))).contains(.restart(.handshakeTimeout)))
        }
    }

    // MARK: Stall limit

    @Test func theStallLimitFollowsPingRestartWithAFloorAndADefault() {
        func stall(_ inactivity: PeerTimerSettings.Inactivity?) -> Int64 {
            Self.server { $0.timers = PeerTimerSettings(ping: 10, inactivity: inactivity, occ: false) }.tcpStallSeconds
        }
        #expect(stall(nil) == 60)
        #expect(stall(.restart(seconds: 120)) == 120)
        #expect(stall(.exit(seconds: 30)) == 30)
        #expect(stall(.restart(seconds: 3)) == 10)
    }

    // MARK: Watchdog

    @Test func aBoundedSendWaitKeepsTheWatchdogFedAndAStuckLoopDoesNot() {
        // keepalive 10 60: the stall limit is 60 s.
        var session = Self.server {
            $0.timers = PeerTimerSettings(ping: 10, inactivity: .restart(seconds: 60), occ: false)
        }
        func pets(_ tick: Tick) -> Bool { session.handle(.tick(tick)).contains(.notifyWatchdog) }
        #expect(pets(Tick(now: 200)))
        // The TX loop waits for room since 200: its heartbeat stops, the wait is within 60 s.
        #expect(pets(Tick(now: 230, txHeartbeat: 200, txStalledSince: 200)), "systemd would abort at 30 s")
        #expect(pets(Tick(now: 263, txHeartbeat: 200, txStalledSince: 200)), "limit + heartbeat slack")
        #expect(!pets(Tick(now: 264, txHeartbeat: 200, txStalledSince: 200)), "a wait past its own limit is stuck")
        // Without a wait, a silent loop is stuck after 3 s; the receive loop never waits.
        #expect(pets(Tick(now: 303, txHeartbeat: 300)))
        #expect(!pets(Tick(now: 304, txHeartbeat: 300)))
        #expect(!pets(Tick(now: 304, rxHeartbeat: 300, txStalledSince: 300)))
    }

    // MARK: Rate-limited connection lines

    @Test func connectionLinesAreRateLimitedAndSummed() {
        var session = Self.server()
        var lines: [String] = []
        var restarts = 0
        // 20 connections that open and drop at once, in 4 s.
        for i in 0..<20 {
            let now = 100 + Int64(i / 5)
            let opened = session.handle(.tcpConnected(address: Self.peer, now: now))
            let ended = session.handle(.linkFailed("Connection reset by peer (end of stream)", now: now))
            lines += Self.logs(opened + ended)
            restarts += ended.filter { $0 == .restart(.connectionReset) }.count
        }
        #expect(restarts == 20, "every connection still restarts the session")
        #expect(lines.filter { $0.hasPrefix("TCP connection established") }.count == 5)
        #expect(lines.filter { $0 == "Connection reset, restarting" }.count == 5)
        #expect(lines.count == 5 * 4)
        #expect(Self.logs(session.handle(.tick(Tick(now: 105)))).isEmpty, "the window is not over")
        #expect(
            Self.logs(session.handle(.tick(Tick(now: 110)))) == [
                "TCP: 15 more connections not logged (at most 5 per 10 s)"
            ])
        #expect(Self.logs(session.handle(.tick(Tick(now: 111)))).isEmpty, "summed once")
        // A new window logs again.
        #expect(
            Self.logs(session.handle(.tcpConnected(address: Self.peer, now: 111))) == [
                "TCP connection established with \(Self.peer)"
            ])
    }

    @Test func rejectedConnectionsAreRateLimitedSeparately() {
        var session = Self.server()
        var rejected: [String] = []
        for i in 0..<1000 {
            rejected += Self.logs(session.handle(.tcpRejected(address: "[AF_INET]10.9.9.9:\(i)", now: 100)))
        }
        #expect(rejected.count == 5)
        #expect(rejected[0] == "TCP NOTE: Rejected connection attempt from [AF_INET]10.9.9.9:0 due to --remote setting")
        // The real peer's connection is still logged: the kinds have their own limits.
        #expect(Self.logs(session.handle(.tcpConnected(address: Self.peer, now: 101))).count == 1)
        // No tick came between the windows: the next line carries the count first.
        #expect(
            Self.logs(session.handle(.tcpRejected(address: "[AF_INET]10.9.9.9:1", now: 115))) == [
                "TCP: 995 more rejected connection attempts not logged (at most 5 per 10 s)",
                "TCP NOTE: Rejected connection attempt from [AF_INET]10.9.9.9:1 due to --remote setting",
            ])
    }

    @Test func anAuthenticatedConnectionIsLoggedEvenWhenItsOpeningWasNot() {
        var session = Self.server()
        for _ in 0..<5 {
            _ = session.handle(.tcpConnected(address: Self.peer, now: 100))
            _ = session.handle(.linkFailed("EOF", now: 100))
        }
        #expect(Self.logs(session.handle(.tcpConnected(address: Self.peer, now: 101))).isEmpty)
        #expect(
            Self.logs(session.handle(.peerAuthenticated(address: Self.peer, now: 101))).contains(
                "Peer Connection Initiated with \(Self.peer)"))
        #expect(
            Self.logs(session.handle(.streamDecryptFailed("bad HMAC", now: 102))).contains(
                "Fatal decryption error (process_incoming_link), restarting"))
    }

    @Test func logRateLimitWindows() {
        var limit = LogRateLimit(burst: 2, intervalSeconds: 10)
        #expect(limit.admit(now: 0) == .log(suppressedBefore: 0))
        #expect(limit.admit(now: 9) == .log(suppressedBefore: 0))
        #expect(limit.admit(now: 9) == .suppress)
        #expect(limit.flush(now: 9) == nil, "window still open")
        #expect(limit.admit(now: 10) == .log(suppressedBefore: 1), "unreported count carried into the next line")
        #expect(limit.admit(now: 11) == .log(suppressedBefore: 0))
        #expect(limit.admit(now: 12) == .suppress)
        #expect(limit.flush(now: 20) == 1)
        #expect(limit.flush(now: 21) == nil)
        #expect(limit.admit(now: 21) == .log(suppressedBefore: 0), "a flushed count is not reported twice")
    }
}
