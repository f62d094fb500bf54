import SwvpnMonitorCore
import Testing

/// Failback onto a home tunnel whose 200 carries probe loss waits for a clean check (no limit: the standby carries
/// the traffic meanwhile); a standby that dies still sends the routes home at once.
@Suite struct DegradingHomeTests {
    /// A failed over at 12, up again at 25 (checks good from 21): failback due at 85.
    func failedOver() throws -> Stand {
        var stand = try Stand(seedConfig)
        stand.run(until: 10)
        stand.alive["vpn1a"] = false
        stand.run(until: 20)
        stand.alive["vpn1a"] = true
        stand.run(until: 30)
        #expect(stand.writeList == movedA)
        #expect(stand.core.snapshot.tunnels[0].status == "up")
        return stand
    }

    @Test func failbackWaitsWhileHomeReportsProbeLoss() throws {
        var stand = try failedOver()
        stand.probeLoss["A"] = 10
        stand.run(until: 200)
        #expect(stand.writeList == movedA, "held far past the hold")
        #expect(stand.core.counters.failbacks == 0)
        let held = try #require(stand.reports(.failbackHeld).first)
        #expect(held.message.contains("home degrading: probe loss 10 %"))
        #expect(stand.reports(.failbackHeld).count == 1, "one line per wait")
        #expect(stand.core.counters.failbacksHeld == 200 - 85 + 1)
        stand.probeLoss["A"] = 0
        stand.run(until: 201)
        #expect(stand.writeList == movedA + backA)
        #expect(stand.writes.suffix(2).allSatisfy { $0.at == .seconds(201) })
    }

    @Test func standbyDyingSendsRoutesHomeEvenToADegradingHome() throws {
        var stand = try failedOver()
        stand.probeLoss["A"] = 10
        stand.run(until: 40)
        stand.alive["vpn2b"] = false
        stand.run(until: 42)
        #expect(Set(stand.writeList.dropFirst(2)) == Set(backA))
        #expect(stand.writes.dropFirst(2).allSatisfy { $0.at == .seconds(42) })
    }
}
