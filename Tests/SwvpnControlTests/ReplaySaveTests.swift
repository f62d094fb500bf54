import SwvpnConfig
import SwvpnControl
import SwvpnProtocol
import Testing

/// When the replay mark is saved, on the virtual clock: when it moved, at most once a second, before
/// every restart; never with `no-replay` or without a place to keep it.
struct ReplaySaveTests {
    typealias T = TunnelSessionTests

    static func saves(_ session: inout TunnelSession, _ ticks: [(now: Int64, mark: UInt64)]) -> [Int64] {
        ticks.filter { session.handle(.tick(Tick(now: $0.now, replayMark: $0.mark))).contains(.saveReplayMark) }
            .map(\.now)
    }

    @Test func savedEachSecondItMovedAndNeverWhenStill() {
        var session = T.running(T.settings { $0.replayPersist = true }, now: 0)
        // Nothing accepted yet (mark 0): nothing to save.
        #expect(Self.saves(&session, [(1, 0), (2, 0)]) == [])
        // Traffic: the mark moves every second and is saved every second.
        let busy = (3...8).map { (now: Int64($0), mark: UInt64(7) << 32 | UInt64($0 * 100)) }
        #expect(Self.saves(&session, busy) == Array(3...8))
        // Two ticks in the same second (timer leeway): one save.
        #expect(Self.saves(&session, [(9, 7 << 32 | 901), (9, 7 << 32 | 902)]) == [9])
        // The mark held back in second 9 goes out at 10; then a quiet link writes nothing.
        #expect(Self.saves(&session, (Int64(10)...70).map { (now: $0, mark: UInt64(7) << 32 | 902) }) == [10])
        // The peer restarted (new time, low id): a new mark, saved.
        #expect(Self.saves(&session, [(71, 9 << 32 | 1)]) == [71])
    }

    @Test func savedBeforeEverySoftRestart() {
        var session = T.running(T.settings { $0.replayPersist = true }, now: 0)
        _ = session.handle(.peerAuthenticated(address: "a", now: 1))
        let restart = T.withoutLogs(session.handle(.signal(.user1, now: 2, peerKnown: true)))
        #expect(restart == [.saveReplayMark, .restart(.user)])
        var plain = T.running(T.settings(), now: 0)
        #expect(T.withoutLogs(plain.handle(.signal(.user1, now: 2, peerKnown: true))) == [.restart(.user)])
        #expect(Self.saves(&plain, [(3, 1 << 32 | 5), (4, 1 << 32 | 6)]) == [], "nowhere to keep it: no saves")
    }

    @Test func keptByDefaultInTheStateDirectoryExceptWithNoReplay() throws {
        func settings(_ text: String, stateDirectory: Bool) throws -> TunnelSession.Settings {
            let config = try TunnelConfig.parse(
                text: "dev tun\nsecret k\nifconfig 10.0.0.1 10.0.0.2\n" + text, source: "t.conf")
            return TunnelSession.Settings(config: config, notify: true, stateDirectory: stateDirectory)
        }
        #expect(try settings("", stateDirectory: true).replayPersist)
        #expect(try !settings("", stateDirectory: false).replayPersist)
        #expect(try settings("replay-persist r\n", stateDirectory: false).replayPersist)
        #expect(try !settings("no-replay\n", stateDirectory: true).replayPersist)
        #expect(try !settings("no-replay\nreplay-persist r\n", stateDirectory: true).replayPersist)
    }
}
