import SwvpnMonitorCore
import Testing

/// HA stand "both tunnels cut", at the repair: the tunnels come back a second apart. A tunnel whose own checks are
/// good again is not failed over onto the partner that made `rise` first; one whose checks are still bad is.
@Suite struct BothDownRecoveryTests {
    /// Both tunnels down since t=12 (bad from 11), nothing written.
    func bothDown() throws -> Stand {
        var stand = try Stand(seedConfig)
        stand.run(until: 10)
        stand.tunnelUp["A"] = false
        stand.tunnelUp["B"] = false
        stand.run(until: 30)
        #expect(stand.reports(.bothDown).count == 1)
        #expect(stand.writes.isEmpty)
        return stand
    }

    @Test func staggeredRecoveryWritesNothing() throws {
        var stand = try bothDown()
        stand.tunnelUp["A"] = true  // good from 31: up at 35
        stand.run(until: 31)
        stand.tunnelUp["B"] = true  // good from 32: 4 of 5 when A is up, up at 36
        stand.run(until: 120)
        #expect(stand.writes.isEmpty)
        #expect(stand.core.counters.failovers == 0)
        #expect(stand.core.snapshot.tunnels.map(\.status) == ["up", "up"])
        #expect(stand.core.snapshot.tunnels.map(\.routes) == ["home", "home"])
    }

    @Test func tunnelStillBadWhenItsPartnerRecoversIsFailedOver() throws {
        var stand = try bothDown()
        stand.tunnelUp["A"] = true
        stand.run(until: 60)
        #expect(stand.writeList == movedB)
        #expect(stand.writes.allSatisfy { $0.at == .seconds(35) }, "as soon as A is up")
        #expect(stand.core.counters.failovers == 1)
    }

    @Test func risingTunnelThatRelapsesIsFailedOverAtItsNextBadCheck() throws {
        var stand = try bothDown()
        stand.tunnelUp["A"] = true  // up at 35
        stand.run(until: 32)
        stand.tunnelUp["B"] = true  // good at 33, 34, 35
        stand.run(until: 35)
        #expect(stand.writes.isEmpty)
        stand.tunnelUp["B"] = false
        stand.run(until: 40)
        #expect(stand.writeList == movedB)
        #expect(stand.writes.allSatisfy { $0.at == .seconds(36) })
    }
}
