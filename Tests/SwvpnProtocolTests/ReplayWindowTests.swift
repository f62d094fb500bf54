import SwvpnProtocol
import SwvpnTestSupport
import Testing

/// One step of a table test: a packet and whether the window must accept it.
private struct Step {
    let id: UInt32
    let time: UInt32
    let now: Int64
    let accept: Bool
    init(_ id: UInt32, time: UInt32 = 100, now: Int64 = 0, _ accept: Bool) {
        self.id = id
        self.time = time
        self.now = now
        self.accept = accept
    }
}

private func run(
    _ steps: [Step], parameters: ReplayWindow.Parameters = .init(), sourceLocation: SourceLocation = #_sourceLocation
) {
    var window = ReplayWindow(parameters: parameters)
    for (index, step) in steps.enumerated() {
        #expect(
            window.checkAndAccept(id: step.id, time: step.time, now: step.now) == step.accept,
            "step \(index): id \(step.id) time \(step.time) now \(step.now)", sourceLocation: sourceLocation)
    }
}

/// Offers one packet to `window` and expects the verdict.
private func offer(
    _ window: inout ReplayWindow, _ id: UInt32, time: UInt32, _ accept: Bool, _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let accepted = window.checkAndAccept(id: id, time: time, now: 0)
    #expect(accepted == accept, comment ?? "id \(id) time \(time)", sourceLocation: sourceLocation)
}

@Suite struct ReplayWindowTests {
    @Test func rejectsPacketIDZero() {
        run([Step(0, false), Step(1, true), Step(0, false), Step(0, time: 200, false)])
    }

    @Test func rejectsDuplicatesAndAcceptsReorderedOnce() {
        run([
            Step(1, true), Step(5, true), Step(3, true), Step(3, false), Step(5, false), Step(1, false), Step(2, true),
            Step(4, true), Step(4, false),
        ])
    }

    @Test func defaultWindowIs64PacketsAnd15Seconds() {
        let parameters = ReplayWindow.Parameters()
        #expect(parameters.size == 64 && parameters.seconds == 15)
        #expect(ReplayWindow.Parameters(size: 70_000, seconds: -1) == ReplayWindow.Parameters(size: 65536, seconds: 0))
        #expect(ReplayWindow().highWater == (0, 0))
    }

    @Test func acceptsUnseenIDsExactlyInsideTheWindowEdge() {
        // After id 100, the window of 64 covers ids 37...100.
        run([Step(100, true), Step(37, true), Step(36, false), Step(38, true), Step(37, false)])
        // A window of 4 after id 10 covers 7...10.
        run([Step(10, true), Step(7, true), Step(6, false)], parameters: .init(size: 4, seconds: 0))
    }

    @Test func rejectsTooOldAfterWindowSlides() {
        run([
            Step(1, true), Step(2, true), Step(70, true), Step(3, false), Step(7, true), Step(6, false),
            Step(200, true), Step(137, true), Step(136, false),
        ])
    }

    @Test func firstPacketLeavesLowerIDsOpen() {
        // Fresh window: id 5 first, then 1...4 arrive late and are all accepted once.
        run([Step(5, true), Step(1, true), Step(4, true), Step(2, true), Step(3, true), Step(3, false)])
    }

    @Test func rejectsTimeBacktrackAndStartsNewEpochOnNewerTime() {
        run([
            Step(15, time: 100, true), Step(1, time: 99, false), Step(1, time: 101, true), Step(2, time: 100, false),
            Step(2, time: 101, true), Step(16, time: 101, true), Step(1, time: 101, false),
        ])
    }

    @Test func reapExpiresUnseenIDsOlderThanTimeWindow() {
        // id 3 accepted at local time 0; id 2 still unseen. 10 s later it is accepted late...
        run([Step(1, now: 0, true), Step(3, now: 0, true), Step(2, now: 10, true)])
        // ...but more than 15 s later the reap has expired it (and everything older).
        run([Step(1, now: 0, true), Step(3, now: 0, true), Step(2, now: 16, false), Step(4, now: 16, true)])
        // Exactly 15 s is not "more than" 15 s.
        run([Step(1, now: 0, true), Step(3, now: 0, true), Step(2, now: 15, true)])
        // Reaping happens at most every 5 s: the reap at now 14 found nothing; at 16 it is not rerun.
        run([Step(1, now: 0, true), Step(3, now: 0, true), Step(4, now: 14, true), Step(2, now: 16, true)])
        // Time window 0 never expires anything.
        run(
            [Step(1, now: 0, true), Step(3, now: 0, true), Step(2, now: 10_000, true)],
            parameters: .init(size: 64, seconds: 0))
    }

    @Test func reapKeepsIDsNewerThanTheExpiredOne() {
        // 10 accepted at 0, 12 accepted at 14; at 20 only ids at/below 10 expire, 11 is still open.
        run([Step(10, now: 0, true), Step(12, now: 14, true), Step(9, now: 20, false), Step(11, now: 20, true)])
    }

    @Test func strictModeAcceptsOnlyInOrder() {
        let strict = ReplayWindow.Parameters(size: 0, seconds: 15)
        run(
            [
                Step(1, true), Step(2, true), Step(4, false), Step(2, false), Step(3, true), Step(2, time: 101, false),
                Step(1, time: 101, true), Step(2, time: 101, true), Step(3, time: 100, false),
            ], parameters: strict)
        // A newer session must start at id 1; the same session may continue from any first id
        // only when nothing was accepted yet under that time (H == 0), as after a preset.
        run([Step(5, false), Step(1, true)], parameters: strict)
    }

    @Test func presetRejectsEverythingUpToHighWater() {
        var window = ReplayWindow()
        window.preset(time: 100, id: 7)
        var ok: Bool
        ok = window.checkAndAccept(id: 7, time: 100, now: 0)
        #expect(!ok)
        ok = window.checkAndAccept(id: 3, time: 100, now: 0)
        #expect(!ok)
        ok = window.checkAndAccept(id: 50, time: 99, now: 0)
        #expect(!ok)
        ok = window.checkAndAccept(id: 8, time: 100, now: 0)
        #expect(ok)
        #expect(window.highWater == (100, 8))
        window.reset()
        ok = window.checkAndAccept(id: 1, time: 1, now: 0)
        #expect(ok)
    }

    @Test func presetMarkStaysAFloorAfterTheRingRebases() {
        // The reproduction: preset(100, 7), accept 8, then ids 1...7 must all stay rejected
        // (openvpn's packet_id_add rebases an empty list and would accept them again).
        var window = ReplayWindow()
        window.preset(time: 100, id: 7)
        offer(&window, 8, time: 100, true)
        for id: UInt32 in 1...8 {
            offer(&window, id, time: 100, false, "id \(id) replayed after the preset")
        }
        // Reordering above the floor still works once; a newer time starts a new session normally.
        offer(&window, 12, time: 100, true)
        offer(&window, 10, time: 100, true)
        offer(&window, 10, time: 100, false)
        offer(&window, 1, time: 101, true)
        offer(&window, 3, time: 101, true)
        offer(&window, 2, time: 101, true)
    }

    @Test(arguments: [
        ReplayWindow.Parameters(size: 64, seconds: 15), .init(size: 4, seconds: 0), .init(size: 0, seconds: 15),
    ])
    func presetFloorHoldsForAnyJumpAndWindowSize(_ parameters: ReplayWindow.Parameters) {
        // A far jump (rebase with id > size) and a near one: nothing at or below the mark comes back.
        for first: UInt32 in [201, 202, 300, 100_000] {
            var window = ReplayWindow(parameters: parameters)
            window.preset(time: 100, id: 200)
            let accepted = window.checkAndAccept(id: first, time: 100, now: 0)
            #expect(accepted == (parameters.size > 0 || first == 201))
            for id: UInt32 in [1, 150, 190, 199, 200] {
                offer(&window, id, time: 100, false, "size \(parameters.size) first \(first) id \(id)")
            }
        }
    }

    @Test func resetClearsThePresetFloor() {
        var window = ReplayWindow()
        window.preset(time: 100, id: 7)
        window.reset()
        offer(&window, 8, time: 100, true)
        offer(&window, 3, time: 100, true)
    }

    @Test func handlesIDsNearUInt32Max() {
        run([
            Step(UInt32.max - 1, true), Step(UInt32.max, true), Step(UInt32.max - 1, false), Step(UInt32.max - 2, true),
        ])
        run(
            [Step(UInt32.max - 1, true), Step(UInt32.max, true), Step(UInt32.max - 1, false)],
            parameters: .init(size: 65536, seconds: 15))
    }

    /// Window semantics restated with a set (no reap): T, H, the lowest id still tracked, and
    /// which ids in [low, H] were accepted.
    struct ReferenceWindow {
        let size: Int
        var time: UInt32 = 0
        var high: UInt64 = 0
        var low: UInt64 = 1  // > high means "nothing tracked"
        var seen = Set<UInt64>()

        mutating func offer(id: UInt32, time t: UInt32) -> Bool {
            let id = UInt64(id)
            if id == 0 { return false }
            if size == 0 {
                let ok = t == time ? (high == 0 || id == high + 1) : (t > time && id == 1)
                if ok {
                    time = t
                    high = id
                }
                return ok
            }
            let ok: Bool
            if t > time {
                ok = true
            } else if t < time {
                ok = false
            } else if id > high {
                ok = true
            } else {
                ok = id >= low && !seen.contains(id)
            }
            guard ok else { return false }
            let n = UInt64(size)
            if low > high || t > time || (id >= n && id - n > high) {
                time = t
                high = id > n ? id - n : 0
                low = high + 1
                seen = []
            }
            if id > high {
                high = id
                low = max(low, high >= n ? high - n + 1 : 1)
            }
            if id >= low { seen.insert(id) }
            seen = seen.filter { $0 >= low }
            return true
        }
    }

    @Test(arguments: [0, 1, 4, 64, 300])
    func matchesReferenceModelOnRandomTraffic(size: Int) {
        var generator = SeededGenerator(seed: UInt64(size) &+ 99)
        var window = ReplayWindow(parameters: .init(size: size, seconds: 0))
        var reference = ReferenceWindow(size: size)
        var time: UInt32 = 1000
        var next: UInt32 = 1
        var sent: [UInt32] = []
        for step in 0..<20_000 {
            let roll = Int.random(in: 0..<100, using: &generator)
            var id: UInt32
            var packetTime = time
            switch roll {
            case 0:
                time += 1
                next = 1
                packetTime = time
                id = 1  // peer restart
            case 1:
                packetTime = time - 1
                id = next  // stale session
            case 2..<12 where !sent.isEmpty:
                // replay
                id = sent[Int.random(in: max(0, sent.count - 2 * max(size, 4))..<sent.count, using: &generator)]
            case 12..<14: id = 0
            case 14..<16: id = next &+ UInt32.random(in: 0...UInt32(2 * size + 5), using: &generator)  // jump ahead
            default: id = next &+ UInt32.random(in: 0...8, using: &generator) &- min(4, next - 1)  // reorder
            }
            if id >= next { next = id &+ 1 }
            sent.append(id)
            let expected = reference.offer(id: id, time: packetTime)
            let actual = window.checkAndAccept(id: id, time: packetTime, now: Int64(step))
            #expect(actual == expected, "step \(step): id \(id) time \(packetTime)")
            if actual != expected { return }
        }
    }
}
