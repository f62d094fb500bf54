import SwvpnAWS
import SwvpnMonitorCore

/// The start-up checks' I/O; `Preflight` (pure) decides what to try and what the answers mean.
extension EC2Bridge {
    /// Reads for real, then every write the monitor may need with DryRun, all at once.
    func preflight(selfInstanceId: String?) async -> Preflight.Verdict {
        var answers: [(probe: Preflight.Probe, answer: Preflight.Answer)] = []
        let routes: [RouteObservation]?
        switch await attempt(
            "DescribeRouteTables",
            { [self] () throws(AWSError) in
                try await observations(ec2.describeRouteTables(ids: tableIds))
            })
        {
        case .success(let observed):
            routes = observed
            answers.append((.readRoutes, .allowed))
        case .failure(let error):
            routes = nil
            answers.append((.readRoutes, Self.answer(error)))
        }
        let ids = config.instances.map(\.instanceId)
        switch await attempt(
            "DescribeInstanceStatus",
            { [ec2] () throws(AWSError) in
                try await ec2.describeInstanceStatus(ids: ids)
            })
        {
        case .success: answers.append((.readInstances, .allowed))
        case .failure(let error): answers.append((.readInstances, Self.answer(error)))
        }
        let probes = Preflight.writes(config, routes: routes, selfInstanceId: selfInstanceId)
        let dryRuns = await withTaskGroup(of: (Int, Preflight.Answer).self, returning: [Preflight.Answer].self) {
            group in
            for (k, probe) in probes.enumerated() {
                let request = write(for: probe)
                group.addTask { [self] in
                    let outcome = await ec2.dryRun(request)
                    // Apart from the real calls: "ReplaceRoute/DryRun" in the call metrics.
                    count(request.query.action + "/DryRun", outcome.code)
                    return (k, Self.answer(outcome))
                }
            }
            var out: [(Int, Preflight.Answer)] = []
            for await answer in group { out.append(answer) }
            return out.sorted { $0.0 < $1.0 }.map(\.1)
        }
        answers += zip(probes, dryRuns).map { (probe: $0, answer: $1) }
        return Preflight.verdict(config, answers)
    }

    private func write(for probe: Preflight.Probe) -> EC2Write {
        switch probe {
        case .writeRoute(let r, let create, let current):
            let route = config.routes[r]
            // The target it has now, in the field it has it in: nothing changes even if DryRun is ignored.
            let target: RouteTarget =
                current.networkInterfaceId.map { .networkInterface($0) } ?? .instance(current.instanceId ?? "")
            return create
                ? .createRoute(tableId: route.tableId, destinationCidr: route.destination, target: target)
                : .replaceRoute(tableId: route.tableId, destinationCidr: route.destination, target: target)
        case .restart(let i, let step):
            let id = config.instances[i].instanceId
            return switch step {
            case .reboot: .rebootInstances(ids: [id])
            case .stop, .forceStop: .stopInstances(ids: [id], force: step == .forceStop)
            case .start: .startInstances(ids: [id])
            }
        case .fixSourceDestCheck(let i):
            return .setSourceDestCheck(instanceId: config.instances[i].instanceId, enabled: false)
        case .readRoutes, .readInstances:
            preconditionFailure("reads are made for real, not dry-run")
        }
    }

    static func answer(_ outcome: DryRunOutcome) -> Preflight.Answer {
        switch outcome {
        case .allowed: .allowed
        case .denied(let message): .denied(message)
        case .performed: .notConfirmed("the endpoint performed it instead of a dry run; same target, no change")
        case .undecided(let error): .notConfirmed("\(error.code): \(error.message)")
        }
    }

    /// A read that failed: refused for want of a permission, or no verdict.
    static func answer(_ error: AWSError) -> Preflight.Answer {
        error.code == "UnauthorizedOperation" ? .denied(error.message) : .notConfirmed(error.description)
    }

    /// At start: every VPN instance must have the source/destination check off, or it drops the traffic it
    /// is meant to forward. With `fix-source-dest-check yes` the monitor turns it off and reads it back.
    func auditSourceDestCheck() async -> [MonitorReport] {
        var results: [(instance: Int, result: Result<Bool, APIFailure>)] = []
        for i in config.instances.indices {
            results.append((i, await sourceDestCheck(i)))
        }
        let audit = Preflight.sourceDestCheck(config, results)
        var reports = audit.reports
        for i in audit.fix {
            let id = config.instances[i].instanceId
            let modified = await call("ModifyInstanceAttribute") { [ec2] () throws(AWSError) in
                try await ec2.setSourceDestCheck(instanceId: id, enabled: false)
            }
            let readBack: Result<Bool, APIFailure> =
                switch modified {
                case .success: await sourceDestCheck(i)
                case .failure(let failure): .failure(failure)
                }
            reports.append(Preflight.sourceDestFixed(config, instance: i, readBack))
        }
        return reports
    }

    private func sourceDestCheck(_ i: Int) async -> Result<Bool, APIFailure> {
        let id = config.instances[i].instanceId
        return await call("DescribeInstanceAttribute") { [ec2] () throws(AWSError) in
            try await ec2.sourceDestCheck(instanceId: id)
        }
    }
}

extension DryRunOutcome {
    /// The code the call ended with, for the EC2 call metrics.
    var code: String {
        switch self {
        case .allowed: "DryRunOperation"
        case .denied: "UnauthorizedOperation"
        case .performed: "ok"
        case .undecided(let error): error.code
        }
    }
}
