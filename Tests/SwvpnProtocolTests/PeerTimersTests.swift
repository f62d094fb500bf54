import SwvpnProtocol
import Testing

struct PeerTimersTests {
    typealias A = PeerTimerActions

    @Test func firstPingGoesOutAsSoonAsThePeerIsKnown() {
        var t = PeerTimers(settings: PeerTimerSettings(ping: 4, occ: false), now: 1000)
        #expect(t.poll(now: 1000) == .none)  // peer unknown: nothing to send to
        #expect(t.nextDeadline == nil)
        t.peerAddressKnown(now: 1001)
        #expect(t.nextDeadline == Int64.min)
        #expect(t.poll(now: 1001) == A(sendPing: true))
        #expect(t.poll(now: 1001) == .none)
        #expect(t.nextDeadline == 1005)
    }

    @Test func pingsOnlyWhenNothingWasSent() {
        var t = PeerTimers(settings: PeerTimerSettings(ping: 4, occ: false), now: 0)
        t.peerAddressKnown(now: 0)
        let steps: [(now: Int64, sent: Bool, expectPing: Bool)] = [
            (0, false, true), (2, true, false), (5, false, false), (6, false, true), (9, true, false),
            (10, false, false), (13, false, true), (17, false, true),
        ]
        for s in steps {
            if s.sent { t.packetSent(now: s.now) }
            #expect(t.poll(now: s.now).sendPing == s.expectPing, "t=\(s.now)")
        }
    }

    @Test func occRequestsEveryTenSecondsAtMostElevenTimes() {
        var t = PeerTimers(settings: PeerTimerSettings(), now: 0)
        t.peerAddressKnown(now: 0)
        var sentAt: [Int64] = []
        for now in Int64(0)...200 where t.poll(now: now).sendOCCRequest { sentAt.append(now) }
        #expect(sentAt == Array(stride(from: Int64(10), through: 110, by: 10)))
        #expect(t.nextDeadline == nil)
    }

    @Test func occStopsOnReplyAndNeedsAPeer() {
        var t = PeerTimers(settings: PeerTimerSettings(), now: 0)
        #expect(t.poll(now: 10) == .none)  // no peer: the try is spent silently
        t.peerAddressKnown(now: 12)
        #expect(t.poll(now: 19) == .none)
        #expect(t.poll(now: 20) == A(sendOCCRequest: true))
        t.occReplyReceived()
        #expect(t.poll(now: 30) == .none)
        #expect(t.nextDeadline == nil)
        var off = PeerTimers(settings: PeerTimerSettings(occ: false), now: 0)
        off.peerAddressKnown(now: 0)
        #expect(off.poll(now: 10) == .none)
    }

    @Test func pingRestartCountsFromLastAuthenticatedPacket() {
        var t = PeerTimers(
            settings: PeerTimerSettings(ping: 4, inactivity: .restart(seconds: 20), occ: false), now: 100)
        #expect(t.nextDeadline == 120)
        #expect(t.poll(now: 119).terminate == nil)
        t.authenticatedPacketReceived(now: 119)
        #expect(t.poll(now: 138).terminate == nil)
        #expect(t.poll(now: 139).terminate == .restart(reason: .pingRestart))
        #expect(t.poll(now: 140) == .none)
        #expect(t.nextDeadline == nil)
    }

    @Test func pingExitFromStartWhenNothingArrives() {
        var t = PeerTimers(settings: PeerTimerSettings(inactivity: .exit(seconds: 30), occ: false), now: 5)
        #expect(t.poll(now: 34) == .none)
        #expect(t.poll(now: 35) == A(terminate: .exit(reason: .pingExit)))
    }

    @Test func pingTimerRemWaitsForThePeer() {
        var t = PeerTimers(
            settings: PeerTimerSettings(inactivity: .restart(seconds: 10), inactivityNeedsPeer: true, occ: false),
            now: 0)
        #expect(t.poll(now: 50) == .none)
        t.peerAddressKnown(now: 50)
        #expect(t.poll(now: 59) == .none)
        #expect(t.poll(now: 60).terminate == .restart(reason: .pingRestart))
    }

    @Test func keepaliveSessionTable() {
        // keepalive 4 20 with the peer known from --remote: pings, OCC at +10/+20 (an OCC send also
        // resets the ping timer), silence after t=3 → restart at 23.
        var t = PeerTimers(settings: PeerTimerSettings(ping: 4, inactivity: .restart(seconds: 20)), now: 0)
        t.peerAddressKnown(now: 0)
        var log: [String] = []
        for now in Int64(0)...25 {
            let a = t.poll(now: now)
            if a.sendPing { log.append("\(now):ping") }
            if a.sendOCCRequest { log.append("\(now):occ") }
            if let x = a.terminate { log.append("\(now):\(x)") }
            if now == 3 { t.authenticatedPacketReceived(now: now) }
        }
        #expect(
            log == [
                "0:ping", "4:ping", "8:ping", "10:occ", "14:ping", "18:ping", "20:occ",
                "23:restart(reason: SwvpnProtocol.PeerTimerReason.pingRestart)",
            ])
    }

    @Test func exitNotifySendsEverySecondThenExits() {
        var e = ExitNotifySequence(seconds: 2, now: 50)
        #expect(e.nextDeadline == 50)
        #expect(e.poll(now: 50) == .sendOCCExit)
        #expect(e.poll(now: 50) == .wait)
        #expect(e.nextDeadline == 51)
        #expect(e.poll(now: 51) == .sendOCCExit)
        #expect(e.poll(now: 52) == .exit)
        #expect(e.poll(now: 53) == .wait)
        #expect(e.nextDeadline == nil)
        var zero = ExitNotifySequence(seconds: 0, now: 7)
        #expect(zero.poll(now: 7) == .exit)
        var one = ExitNotifySequence(now: 7)
        #expect([one.poll(now: 7), one.poll(now: 8)] == [.sendOCCExit, .exit])
    }
}
