import SwvpnMonitorCore
import Testing

/// HA stand "both tunnels cut": B's source notices first while A's swvpnd still says 200 with probe loss.
/// The core holds the failover until the standby is clean (fail over) or down (both down, nothing written).
@Suite struct DegradingStandbyTests {
    func settled() throws -> Stand {
        var stand = try Stand(seedConfig)
        stand.run(until: 10)
        #expect(stand.core.snapshot.tunnels.allSatisfy { $0.status == "up" })
        return stand
    }

    @Test func bothCutWithStaggeredDetectionWritesNothing() throws {
        var stand = try settled()
        stand.tunnelUp["B"] = false
        stand.probeLoss["A"] = 40  // A's probe loses replies, its /health still 200
        stand.run(until: 13)
        stand.tunnelUp["A"] = false  // A's swvpnd notices 3 s later
        stand.run(until: 60)
        #expect(stand.writes.isEmpty)
        #expect(stand.core.counters.failovers == 0)
        #expect(stand.reports(.bothDown).count == 1)
        let held = try #require(stand.reports(.failoverHeld).first)
        #expect(held.message.contains("standby degrading: probe loss 40 %"))
        #expect(stand.core.counters.failoversHeld > 0)
    }

    @Test func singleCutWithCleanStandbyFailsOverAsBefore() throws {
        var stand = try settled()
        stand.alive["vpn1a"] = false
        stand.run(until: 12)
        #expect(stand.writes.count == 2)
        #expect(stand.writes.allSatisfy { $0.at == .seconds(12) })
        #expect(stand.reports(.failoverHeld).isEmpty)
    }

    @Test func transientStandbyLossDelaysFailoverAtMostTheHold() throws {
        var stand = try settled()
        stand.alive["vpn1a"] = false
        stand.probeLoss["B"] = 10
        stand.run(until: 14)
        #expect(stand.writes.isEmpty, "held while B reports loss")
        stand.probeLoss["B"] = 0
        stand.run(until: 15)
        #expect(stand.writes.count == 2)
        #expect(stand.writes.allSatisfy { $0.at == .seconds(15) })
        #expect(stand.reports(.failoverHeld).count == 1)
    }

    @Test func persistentStandbyLossFailsOverAfterTheHold() throws {
        var stand = try settled()
        stand.alive["vpn1a"] = false
        stand.probeLoss["B"] = 5
        stand.run(until: 30)
        // down at 12, hold (fall + 3) checks = 5 s
        #expect(stand.writes.count == 2)
        #expect(stand.writes.allSatisfy { $0.at == .seconds(17) })
    }
}
