import SwvpnMonitorCore
import Testing

/// The restart ladder and every limit on it, on the virtual clock.
@Suite struct RestartLadderTests {
    func settled(_ prefix: String = "", selfInstance: String? = nil) throws -> Stand {
        var stand = try Stand(prefix + seedConfig, selfInstance: selfInstance)
        stand.run(until: 10)
        return stand
    }

    @Test func silentInstanceClimbsRebootStopStartAndRecovers() throws {
        var stand = try settled()
        stand.alive["vpn1a"] = false  // silent from the check at 11
        stand.run(until: 40)
        #expect(stand.restarts.isEmpty, "restart-after 30")
        stand.run(until: 41)
        #expect(stand.restartList == ["vpn1a reboot"])
        stand.run(until: 220)
        #expect(stand.restartList == ["vpn1a reboot"], "boot-grace 180")
        stand.run(until: 230)
        #expect(stand.restartList == ["vpn1a reboot", "vpn1a stop", "vpn1a start"])
        stand.alive["vpn1a"] = true
        stand.run(until: 240)
        #expect(stand.reports(.recovered).map(\.subject) == ["vpn1a"])
        #expect(stand.core.snapshot.instances[0].ladder == "idle")
        #expect(stand.reports(.restartExhausted).isEmpty)
    }

    @Test func stopThatDoesNotTakeIsForced() throws {
        var stand = try settled()
        stand.stopWorks = false
        stand.alive["vpn1a"] = false
        stand.run(until: 221)
        #expect(stand.restartList == ["vpn1a reboot", "vpn1a stop"])
        stand.run(until: 345)
        #expect(stand.restartList == ["vpn1a reboot", "vpn1a stop", "vpn1a force-stop", "vpn1a start"])
    }

    @Test func ladderEndsAfterStartAndAlerts() throws {
        var stand = try settled()
        stand.alive["vpn1a"] = false
        stand.run(until: 1000)
        #expect(stand.restartList == ["vpn1a reboot", "vpn1a stop", "vpn1a start"])
        #expect(stand.reports(.restartExhausted).count == 1)
    }

    @Test func impairedInstanceIsStoppedAndStarted() throws {
        var stand = try settled()
        stand.impaired.insert("vpn2b")
        stand.run(until: 20)
        #expect(stand.restartList == ["vpn2b stop", "vpn2b start"])
    }

    @Test func instanceStoppedBehindOurBackIsStarted() throws {
        var stand = try settled()
        stand.ec2State["vpn2a"] = "stopped"
        stand.run(until: 20)
        #expect(stand.restartList == ["vpn2a start"])
        #expect(stand.writeList == movedA)
    }

    @Test func tunnelFaultWithBothEndsAnsweringRestartsNothing() throws {
        var stand = try settled()
        stand.tunnelUp["A"] = false
        stand.run(until: 1000)
        #expect(stand.restarts.isEmpty)
        #expect(stand.writeList == movedA)
    }

    @Test func neverItself() throws {
        var stand = try settled(selfInstance: "vpn1a")
        stand.alive["vpn1a"] = false
        stand.run(until: 600)
        #expect(stand.restarts.isEmpty)
        #expect(stand.reports(.restartHeld).first?.message.contains("own instance") == true)
    }

    @Test func neverTheInstanceCarryingFailedOverTraffic() throws {
        var stand = try settled()
        stand.alive["vpn2a"] = false  // A fails over onto vpn1b/vpn2b
        stand.run(until: 15)
        #expect(stand.writeList == movedA)
        stand.alive["vpn1b"] = false
        stand.run(until: 600)
        #expect(stand.restarts.allSatisfy { $0.instance == "vpn2a" })
        #expect(
            stand.reports(.restartHeld).contains { $0.subject == "vpn1b" && $0.message.contains("failed-over traffic") }
        )
    }

    @Test func neverBothOfOneVPCWithinTheCooldown() throws {
        var stand = try settled()
        stand.alive["vpn1a"] = false
        stand.alive["vpn1b"] = false
        stand.run(until: 100)
        #expect(stand.restartList == ["vpn1a reboot"])
        #expect(stand.reports(.restartHeld).contains { $0.subject == "vpn1b" && $0.message.contains("same VPC") })
    }

    @Test func atMostNPerWindow() throws {
        var stand = try settled("restart-limit 1 3600\n")
        stand.alive["vpn1a"] = false
        stand.alive["vpn2b"] = false
        stand.run(until: 100)
        #expect(stand.restartList == ["vpn1a reboot"])
        #expect(stand.reports(.restartHeld).contains { $0.subject == "vpn2b" && $0.message.contains("restart-limit") })
    }

    @Test func restartOffMeansAlertsOnly() throws {
        var stand = try settled("restart no\n")
        stand.alive["vpn1a"] = false
        stand.run(until: 600)
        #expect(stand.restarts.isEmpty)
        #expect(stand.writeList == movedA)
    }
}

extension RestartLadderTests {
    @Test func oneActionInFlightPerInstance() throws {
        var stand = try settled()
        stand.holdRestarts = true
        stand.alive["vpn1a"] = false
        stand.run(until: 600)
        #expect(stand.restartList == ["vpn1a reboot"], "no second call while the first has not answered")
        stand.releaseRestarts()
        stand.run(until: 800)
        #expect(stand.restartList == ["vpn1a reboot", "vpn1a stop"])
    }

    @Test func recoveredMeansSwvpndHealthyNotTheAPIsWord() throws {
        var stand = try settled()
        stand.alive["vpn1a"] = false
        stand.run(until: 41)
        #expect(stand.restartList == ["vpn1a reboot"])
        stand.run(until: 100)  // EC2 says running all along: not recovered
        #expect(stand.reports(.recovered).isEmpty)
        #expect(stand.core.snapshot.instances[0].ladder == "rebooted")
        stand.alive["vpn1a"] = true
        stand.run(until: 102)
        #expect(stand.reports(.recovered).count == 1)
    }
}
