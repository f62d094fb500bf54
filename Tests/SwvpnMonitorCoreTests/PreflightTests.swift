import SwvpnMonitorCore
import Testing

/// The start-up checks: which calls are tried, and what their answers mean.
@Suite struct PreflightTests {
    static let restartsOff = seedConfig + "restart no\n"

    /// The routes as a fresh four-instance layout has them (ENI targets, as moto fills them).
    static func homeRoutes(_ config: MonitorConfig) -> [RouteObservation] {
        config.routes.map {
            RouteObservation(
                tableId: $0.tableId, destination: $0.destination, instanceId: nil,
                networkInterfaceId: config.instances[$0.home].eniId)
        }
    }

    static func names(_ probes: [Preflight.Probe], _ config: MonitorConfig) -> [String] {
        probes.map {
            let p = $0.permission(in: config)
            return "\(p.action) \(p.resource)"
        }
    }

    @Test func routeProbesReuseTheCurrentTargetOncePerTable() throws {
        let config = try MonitorConfig.parse(text: Self.restartsOff, source: "m.conf")
        let probes = Preflight.writes(config, routes: Self.homeRoutes(config), selfInstanceId: nil)
        #expect(
            Self.names(probes, config) == [
                "ec2:ReplaceRoute rtb-1a", "ec2:CreateRoute rtb-1a", "ec2:ReplaceRoute rtb-1b",
                "ec2:CreateRoute rtb-1b",
                "ec2:ReplaceRoute rtb-2a", "ec2:CreateRoute rtb-2a", "ec2:ReplaceRoute rtb-2b",
                "ec2:CreateRoute rtb-2b",
            ])
        // The target it has now, so an endpoint that ignores DryRun changes nothing.
        guard case .writeRoute(_, _, let current) = probes[0] else {
            Issue.record("not a route probe")
            return
        }
        #expect(current.networkInterfaceId == "eni-1a" && current.tableId == "rtb-1a")

        // A hub table with two destinations is one IAM resource: probed once.
        let hub = try MonitorConfig.parse(text: hubConfig + "restart no\n", source: "hub.conf")
        let hubProbes = Preflight.writes(hub, routes: Self.homeRoutes(hub), selfInstanceId: nil)
        #expect(Self.names(hubProbes, hub).filter { $0.hasPrefix("ec2:ReplaceRoute") }.count == 3)
    }

    @Test func restartAndFixProbesFollowTheConfigAndSkipTheMonitorsOwnInstance() throws {
        let config = try MonitorConfig.parse(text: seedConfig + "fix-source-dest-check yes\n", source: "m.conf")
        let probes = Preflight.writes(config, routes: nil, selfInstanceId: "i-2b")
        let names = Self.names(probes, config)
        #expect(names.filter { $0.contains("Route") }.isEmpty, "no route read: no route probes")
        #expect(
            names.filter { $0.hasSuffix(" i-1a") } == [
                "ec2:RebootInstances i-1a", "ec2:StopInstances i-1a", "ec2:StartInstances i-1a",
                "ec2:ModifyInstanceAttribute i-1a",
            ])
        #expect(names.count == 12)
        #expect(!names.contains { $0.hasSuffix(" i-2b") })
        let off = try MonitorConfig.parse(text: Self.restartsOff, source: "m.conf")
        #expect(Preflight.writes(off, routes: nil, selfInstanceId: nil).isEmpty)
    }

    @Test func allAllowedStartsAndSaysWhatWasNotConfirmed() throws {
        let config = try MonitorConfig.parse(text: Self.restartsOff, source: "m.conf")
        var routes = Self.homeRoutes(config)
        routes.removeAll { $0.tableId == "rtb-2b" }
        let probes = Preflight.reads + Preflight.writes(config, routes: routes, selfInstanceId: nil)
        let answers = probes.map { probe -> (probe: Preflight.Probe, answer: Preflight.Answer) in
            if case .writeRoute(_, true, _) = probe { return (probe, .notConfirmed("RouteAlreadyExists")) }
            return (probe, .allowed)
        }
        let verdict = Preflight.verdict(config, answers)
        #expect(verdict.fatal == nil)
        #expect(verdict.reports.allSatisfy { $0.kind == .preflight && !$0.isAlert })
        #expect(verdict.reports.first?.message == "permission check: 5 of 8 calls allowed (reads, DryRun writes)")
        let unconfirmed = try #require(verdict.reports.last?.message)
        #expect(unconfirmed.hasPrefix("not confirmed: ec2:CreateRoute on rtb-1a (RouteAlreadyExists); "))
        #expect(
            unconfirmed.hasSuffix("ec2:ReplaceRoute/CreateRoute on rtb-2b (no route of ours to an instance there yet)"))
    }

    @Test func aDenialIsFatalAndNamesEveryActionAndWhere() throws {
        let config = try MonitorConfig.parse(text: seedConfig, source: "m.conf")
        let probes = Preflight.reads + Preflight.writes(config, routes: Self.homeRoutes(config), selfInstanceId: nil)
        let answers = probes.map { probe -> (probe: Preflight.Probe, answer: Preflight.Answer) in
            switch probe {
            case .writeRoute(let r, false, _) where config.routes[r].tableId.hasPrefix("rtb-2"):
                (probe, .denied("You are not authorized to perform this operation."))
            case .restart(_, .reboot): (probe, .denied("You are not authorized to perform this operation."))
            default: (probe, .allowed)
            }
        }
        let fatal = try #require(Preflight.verdict(config, answers).fatal)
        #expect(
            fatal
                == "EC2 refuses calls the monitor needs (UnauthorizedOperation): ec2:ReplaceRoute on rtb-2a, rtb-2b; "
                + "ec2:RebootInstances on i-1a, i-1b, i-2a, i-2b: allow them in the monitor's IAM role "
                + "(README \"High availability\"), or set `restart no`")
        let readDenied = [(probe: Preflight.Probe.readRoutes, answer: Preflight.Answer.denied("no"))]
        #expect(Preflight.verdict(config, readDenied).fatal?.contains("ec2:DescribeRouteTables on *") == true)
    }

    @Test func sourceDestCheckOnAlertsOrIsFixed() throws {
        let config = try MonitorConfig.parse(text: seedConfig, source: "m.conf")
        let results: [(instance: Int, result: Result<Bool, APIFailure>)] = [
            (0, .success(false)), (1, .success(true)), (2, .failure(APIFailure(.rejected, "UnauthorizedOperation"))),
            (3, .success(false)),
        ]
        let alertOnly = Preflight.sourceDestCheck(config, results)
        #expect(alertOnly.fix.isEmpty)
        #expect(alertOnly.reports.map(\.subject) == ["vpn1b", "vpn2a"])
        #expect(alertOnly.reports.allSatisfy { $0.isAlert && $0.kind == .sourceDestCheck })
        #expect(alertOnly.reports[0].message.contains("--instance-id i-1b --no-source-dest-check"))

        var fixing = config
        fixing.fixSourceDestCheck = true
        let fix = Preflight.sourceDestCheck(fixing, results)
        #expect(fix.fix == [1])
        #expect(fix.reports.map(\.isAlert) == [false, true], "the fix is an action, the failed audit an alert")
        #expect(!Preflight.sourceDestFixed(fixing, instance: 1, .success(false)).isAlert)
        #expect(Preflight.sourceDestFixed(fixing, instance: 1, .success(true)).isAlert)
        let refused = Preflight.sourceDestFixed(
            fixing, instance: 1, .failure(APIFailure(.rejected, "UnauthorizedOperation")))
        #expect(refused.isAlert && refused.message.contains("could not turn the source/destination check off"))
    }
}
