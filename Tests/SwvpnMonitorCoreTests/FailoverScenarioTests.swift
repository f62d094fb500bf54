import SwvpnMonitorCore
import Testing

/// The scenarios on the virtual clock: which routes are written, when, and what is reported.
@Suite struct FailoverScenarioTests {
    /// A stand that has run long enough for every tunnel to be up (rise 5 at 1 s).
    func settled(_ text: String = seedConfig) throws -> Stand {
        var stand = try Stand(text)
        stand.run(until: 10)
        #expect(stand.core.snapshot.tunnels.allSatisfy { $0.status == "up" })
        #expect(stand.writes.isEmpty)
        return stand
    }

    @Test func startAdoptsRoutesWithoutWriting() throws {
        var stand = try Stand(seedConfig)
        stand.run(until: 30)
        #expect(stand.writes.isEmpty)
        #expect(stand.reports(.adopted).count == 2)
        #expect(stand.core.snapshot.routes.map(\.target) == ["vpn1a", "vpn1b", "vpn2a", "vpn2b"])
    }

    @Test func startWithRoutesOnStandbyKeepsThemThereUntilTheHold() throws {
        var stand = try Stand(seedConfig)
        stand.table[Stand.key("rtb-1a", "172.16.0.0/16")] = "vpn1b"
        stand.table[Stand.key("rtb-2a", "10.0.0.0/16")] = "vpn2b"
        stand.shown = stand.table
        stand.run(until: 60)
        #expect(stand.writes.isEmpty, "adopted, not grabbed")
        #expect(stand.core.snapshot.tunnels[0].routes == "standby")
        stand.run(until: 70)  // A up since t=4, hold 60 s
        #expect(stand.writeList == backA)
    }

    @Test func singleMissMovesNothing() throws {
        var stand = try settled()
        stand.tunnelUp["A"] = false
        stand.run(until: 10.5)  // one check at t=10 already done; the next at 11
        stand.run(until: 11)
        stand.tunnelUp["A"] = true
        stand.run(until: 60)
        #expect(stand.writes.isEmpty)
        #expect(stand.reports(.tunnelDown).isEmpty)
    }

    @Test func intermittentLossBelowTheThresholdMovesNothing() throws {
        var stand = try settled()
        for second in 11...70 {
            stand.alive["vpn2a"] = second % 2 == 0  // every other check lost
            stand.run(until: Double(second))
        }
        #expect(stand.writes.isEmpty)
        #expect(stand.reports(.tunnelDown).isEmpty)
    }

    @Test func hardDeathMovesBothVPCsTablesTogetherAndReadsThemBack() throws {
        var stand = try settled()
        stand.alive["vpn1a"] = false
        stand.run(until: 11)
        #expect(stand.writes.isEmpty, "one bad check is not enough (fall 2)")
        stand.run(until: 12)
        #expect(stand.writeList == movedA)
        #expect(stand.writes.allSatisfy { $0.at == .seconds(12) }, "both sides in the same decision")
        let verified = try #require(stand.reports(.routesVerified).first)
        #expect(verified.subject == "A")
        #expect(stand.core.counters.failovers == 1)
        #expect(stand.core.counters.lastFailoverSeconds == 1)  // first bad check at 11, read back at 12
        #expect(stand.reports(.failover).first?.message.contains("vpn1a /health unreachable") == true)
        stand.run(until: 40)
        #expect(stand.writeList == movedA, "nothing else is written")
    }

    @Test func bothTunnelsDownMovesNothingAndAlerts() throws {
        var stand = try settled()
        stand.tunnelUp["A"] = false
        stand.tunnelUp["B"] = false
        stand.run(until: 60)
        #expect(stand.writes.isEmpty)
        #expect(stand.reports(.bothDown).count == 1)
        #expect(stand.reports(.bothDown).allSatisfy { $0.isAlert })
        #expect(stand.restarts.isEmpty, "both ends answer: not an instance fault")
        #expect(stand.reports(.notInstanceFault).count == 2)
    }

    @Test func bothDownAfterAFailoverLeavesRoutesOnStandby() throws {
        var stand = try settled()
        stand.alive["vpn2a"] = false
        stand.run(until: 15)
        #expect(stand.writeList == movedA)
        stand.tunnelUp["B"] = false
        stand.run(until: 60)
        #expect(stand.writeList == movedA)
        #expect(stand.reports(.bothDown).count == 1)
    }

    @Test func isolatedMonitorMovesAndRestartsNothing() throws {
        var stand = try settled()
        stand.monitorCut = true
        stand.run(until: 300)
        #expect(stand.writes.isEmpty)
        #expect(stand.restarts.isEmpty)
        #expect(stand.reports(.isolated).count == 1)
        #expect(stand.reports(.tunnelDown).isEmpty, "rounds that see nothing count for nothing")
        stand.monitorCut = false
        stand.run(until: 320)
        #expect(stand.reports(.isolationOver).count == 1)
        #expect(stand.writes.isEmpty)
    }

    @Test func ec2UnreachableAloneIsIsolationToo() throws {
        var stand = try settled()
        stand.ec2Reachable = false
        stand.alive["vpn1a"] = false
        stand.run(until: 300)
        #expect(stand.writes.isEmpty)
        #expect(stand.restarts.isEmpty)
        #expect(stand.reports(.isolated).count == 1)
        stand.ec2Reachable = true
        stand.run(until: 320)
        #expect(stand.writeList == movedA, "once EC2 answers again, the pending failover happens")
    }

    @Test func asymmetricWriteFailureRetriesOnlyTheFailedSideAndCountsWhenBothReadBack() throws {
        var stand = try settled()
        stand.failingWrites["rtb-2a"] = 3
        stand.alive["vpn1a"] = false
        stand.run(until: 12)
        #expect(stand.writeList == ["rtb-1a 172.16.0.0/16 → vpn1b"])
        #expect(stand.reports(.routesVerified).isEmpty, "one side moved is not a failover")
        stand.run(until: 20)
        #expect(stand.writeList == movedA, "the failed side retried with backoff, the other not rewritten")
        #expect(stand.reports(.routeWriteFailed).count == 3)
        #expect(stand.reports(.routeWriteFailed).last?.isAlert == true)
        #expect(stand.reports(.routesVerified).count == 1)
    }

    @Test func eventualConsistencyGetsAGraceBeforeARewrite() throws {
        var stand = try settled()
        stand.readLag = .seconds(4)
        stand.alive["vpn1a"] = false
        stand.run(until: 30)
        #expect(stand.writeList == movedA, "reads showing the old target within the grace cause no rewrite")
        #expect(stand.reports(.routesVerified).count == 1)
        #expect(stand.core.counters.lastFailoverSeconds == 5)
    }

    @Test func writeThatNeverShowsIsRewrittenAfterTheGrace() throws {
        var stand = try settled()
        stand.readLag = .seconds(15)
        stand.alive["vpn1a"] = false
        stand.run(until: 21.9)
        #expect(stand.writes.count == 2)
        stand.run(until: 22)
        #expect(stand.writes.count == 4, "10 s grace, then written again")
        #expect(stand.reports(.routeDrift).count == 2)
    }

    @Test func routeChangedBehindTheMonitorsBackIsFixed() throws {
        var stand = try settled()
        stand.table[Stand.key("rtb-2b", "10.0.0.0/16")] = "vpn2a"
        stand.shown = stand.table
        stand.run(until: 20)
        #expect(stand.writeList == ["rtb-2b 10.0.0.0/16 → vpn2b"])
        #expect(stand.reports(.routeDrift).count == 1)
    }

    @Test func blackholeRouteMakesItsTunnelBad() throws {
        var stand = try settled()
        stand.blackhole.insert("vpn1b")
        stand.run(until: 300)
        #expect(stand.writeList == movedB)
    }

    @Test func stoppedInstanceMakesItsTunnelBad() throws {
        var stand = try settled()
        stand.ec2State["vpn2b"] = "stopped"
        stand.run(until: 20)
        #expect(stand.writeList == movedB)
    }

    @Test func failbackWaitsForTheHoldAndMovesBothSides() throws {
        var stand = try settled()
        stand.alive["vpn1a"] = false
        stand.run(until: 20)
        stand.alive["vpn1a"] = true
        stand.run(until: 24)  // good checks at 21..24 (rise needs 5: up at 25)
        stand.run(until: 84)
        #expect(stand.writeList == movedA, "A up since 25: no failback before 85")
        stand.run(until: 85)
        #expect(stand.writeList == movedA + backA)
        #expect(stand.writes.suffix(2).allSatisfy { $0.at == .seconds(85) })
        #expect(stand.core.counters.failbacks == 1)
        #expect(stand.reports(.routesVerified).count == 2)
    }

    @Test func standbyDownWhileHomeHoldsMovesBackAtOnce() throws {
        var stand = try settled()
        stand.alive["vpn1a"] = false
        stand.run(until: 20)
        stand.alive["vpn1a"] = true
        stand.run(until: 30)  // A up again, holding
        stand.alive["vpn2b"] = false
        stand.run(until: 33)
        #expect(Array(stand.writeList.prefix(2)) == movedA)
        // No hold when the standby dies: A's routes back home and B's over to A, in one decision.
        #expect(
            Set(stand.writeList.dropFirst(2))
                == Set(backA + movedB))
        #expect(stand.writes.count == 6)
        #expect(Set(stand.writes.dropFirst(2).map(\.at)).count == 1)
    }

    @Test func failbacksAreRateLimited() throws {
        var stand = try settled("failback-hold 10\nfailback-min-interval 300\nflap-damping 10 600\n" + seedConfig)
        stand.tunnelUp["A"] = false
        stand.run(until: 15)
        stand.tunnelUp["A"] = true
        stand.run(until: 40)
        #expect(stand.core.counters.failbacks == 1)
        stand.tunnelUp["A"] = false
        stand.run(until: 45)
        stand.tunnelUp["A"] = true
        stand.run(until: 300)
        #expect(stand.core.counters.failovers == 2)
        #expect(stand.core.counters.failbacks == 1, "second failback waits for failback-min-interval")
        stand.run(until: 340)
        #expect(stand.core.counters.failbacks == 2)
    }

    @Test func flappingTunnelFailsOverOnceAndIsDamped() throws {
        var stand = try settled("failback-hold 20\nfailback-min-interval 0\n" + seedConfig)
        // Link flapping every 2 s for 30 s: one failover, no failback while it flaps.
        for second in 11...40 {
            stand.tunnelUp["A"] = (second / 2) % 2 == 0
            stand.run(until: Double(second))
        }
        stand.tunnelUp["A"] = true
        #expect(stand.core.counters.failovers == 1)
        #expect(stand.core.counters.failbacks == 0)
        // Slower flaps (down 3 s, up 25 s): each up period passes the hold, then damping holds it on standby.
        for cycle in 0..<4 {
            let start = 41 + Double(cycle) * 28
            stand.tunnelUp["A"] = false
            stand.run(until: start + 3)
            stand.tunnelUp["A"] = true
            stand.run(until: start + 28)
        }
        stand.run(until: 400)
        #expect(stand.reports(.damped).count == 1)
        #expect(stand.core.snapshot.tunnels[0].damped)
        #expect(stand.core.snapshot.tunnels[0].routes == "standby")
        let failbacksWhileDamped = stand.core.counters.failbacks
        #expect(failbacksWhileDamped <= 2)
        stand.run(until: 1200)  // calm for the flap window: back home
        #expect(stand.core.counters.failbacks == failbacksWhileDamped + 1)
        #expect(stand.core.snapshot.tunnels[0].routes == "home")
    }
}

extension FailoverScenarioTests {
    @Test func isolationEndsOnlyAfterRiseClearRounds() throws {
        var stand = try settled()
        for second in 11...40 {
            stand.monitorCut = second % 3 == 0  // mostly back, cut off every third round
            stand.run(until: Double(second))
        }
        #expect(stand.reports(.isolated).count == 1, "no alert storm while it comes and goes")
        #expect(stand.reports(.isolationOver).isEmpty)
        #expect(stand.writes.isEmpty)
        stand.monitorCut = false
        stand.run(until: 60)
        #expect(stand.reports(.isolationOver).count == 1)
    }

    @Test func hubFailoverMovesOnlyThatSpokesRoutes() throws {
        var stand = try settled(hubConfig)
        stand.tunnelUp["A3"] = false
        stand.run(until: 30)
        #expect(stand.writeList == ["rtb-ha 10.3.0.0/16 → hub-b", "rtb-3a 10.0.0.0/16 → s3b"])
    }
}

extension FailoverScenarioTests {
    @Test func homeTunnelDyingWhileItCarriesThePartnersRoutesSwapsBothInOneDecision() throws {
        var stand = try settled()
        stand.alive["vpn2b"] = false  // B's routes move onto A
        stand.run(until: 15)
        #expect(stand.writeList == movedB)
        stand.alive["vpn2b"] = true
        stand.run(until: 30)  // B up again, holding
        stand.tunnelUp["A"] = false
        stand.run(until: 40)
        let swap = Array(stand.writes.dropFirst(2))
        #expect(
            Set(swap.map { "\($0.table) \($0.destination) → \($0.target)" })
                == Set(movedA + ["rtb-1b 172.16.0.0/16 → vpn1b", "rtb-2b 10.0.0.0/16 → vpn2b"]))
        #expect(Set(swap.map(\.at)).count == 1, "one decision")
        #expect(stand.reports(.bothDown).isEmpty)
    }
}

extension FailoverScenarioTests {
    @Test func slowReadNeitherDelaysTheReadBackNorUndoesIt() throws {
        var stand = try settled("ec2-interval 1\n" + seedConfig)
        stand.alive["vpn1a"] = false
        stand.stallReads = true
        stand.run(until: 11)  // the read of t=11 hangs
        stand.stallReads = false
        stand.run(until: 12)
        #expect(stand.writeList == movedA)
        #expect(stand.reports(.routesVerified).count == 1, "read back at 12, beside the hung read")
        #expect(stand.core.counters.lastFailoverSeconds == 1)
        stand.releaseReads()  // answers at last, with A's old targets
        stand.run(until: 40)
        #expect(stand.writeList == movedA, "the stale answer changes nothing")
        #expect(stand.reports(.routeDrift).isEmpty)
    }
}
