extension MonitorCore {
    mutating func instancesRead(_ result: Result<[InstanceObservation], APIFailure>) {
        schedule.instancesInFlight = false
        switch result {
        case .failure(let failure): ec2Failed("DescribeInstanceStatus", failure)
        case .success(let observed):
            ec2Succeeded()
            for o in observed {
                instanceStatus[o.instanceId] = o
                // A blackhole is forgotten once its instance has been seen down and running again.
                guard let i = config.instances.firstIndex(where: { $0.instanceId == o.instanceId }) else { continue }
                if o.state != "running" {
                    seenDown.insert(i)
                } else if seenDown.remove(i) != nil {
                    blackholed.remove(i)
                }
            }
        }
    }

    mutating func restartFinished(_ i: Int, _ step: RestartStep, _ result: Result<MonitorEvent.Empty, APIFailure>) {
        instances[i].inFlight = false
        let name = config.instances[i].name
        switch result {
        case .success:
            ec2Succeeded()
            counters.restarts[step, default: 0] += 1
            switch step {
            case .reboot: instances[i].ladder = .rebooted(at: now)
            case .stop: instances[i].ladder = .stopping(at: now, forced: false)
            case .forceStop: instances[i].ladder = .stopping(at: now, forced: true)
            case .start: instances[i].ladder = .started(at: now)
            }
            schedule.instances = min(schedule.instances, now + .seconds(1))
        case .failure(let failure):
            if failure.kind == .unreachable { ec2Failed(step.rawValue, failure) }
            instances[i].retryAt = now + .seconds(30)
            emit(.restartFailed, name, "\(step.rawValue) failed: \(failure.message)", alert: true)
        }
    }

    /// The restart ladder: reboot a running instance whose swvpnd stays silent, stop (then force) and start
    /// one that stays bad or is impaired, start one stopped behind our back. Recovered = its swvpnd says 200.
    mutating func ladders() {
        let policy = config.restart
        guard policy.enabled else { return }
        restartLog.removeAll { now - $0.at >= policy.window }
        for i in instances.indices where !instances[i].inFlight {
            let name = config.instances[i].name
            let status = instanceStatus[config.instances[i].instanceId]
            let impaired = status?.state == "running" && status?.impaired == true
            if instances[i].healthy && status?.state != "stopped" && !impaired {
                if instances[i].ladder != .idle {
                    emit(.recovered, name, "swvpnd healthy again")
                    instances[i].ladder = .idle
                }
                instances[i].heldReported = false
                continue
            }
            guard !isolated, now >= instances[i].retryAt else { continue }
            let silent = instances[i].silentSince.map { now - $0 }
            let stillBad = silent != nil || impaired
            switch instances[i].ladder {
            case .idle:
                // First its traffic moves away: a new ladder waits until every tunnel it ends is down.
                guard
                    config.tunnels.indices.allSatisfy({
                        !config.tunnels[$0].ends.contains(i) || tunnels[$0].status == .down
                    })
                else { continue }
                if status?.state == "stopped" {
                    begin(i, .start, newLadder: true, "EC2 shows it stopped, not by this monitor")
                } else if impaired {
                    begin(i, .stop, newLadder: true, "EC2 status impaired")
                } else if status?.state == "running", let silent, silent >= policy.silentAfter {
                    begin(i, .reboot, newLadder: true, "running, swvpnd silent for \(Self.seconds(silent))")
                }
            case .rebooted(let at):
                if now - at >= policy.bootGrace, stillBad {
                    begin(
                        i, .stop, newLadder: false,
                        "still \(impaired ? "impaired" : "silent") \(Self.seconds(now - at)) after the reboot")
                }
            case .stopping(let at, let forced):
                if status?.state == "stopped" {
                    begin(i, .start, newLadder: false, "stopped")
                } else if !forced, now - at >= policy.stopTimeout {
                    begin(i, .forceStop, newLadder: false, "not stopped \(Self.seconds(now - at)) after StopInstances")
                }
            case .started(let at):
                if now - at >= policy.bootGrace, stillBad {
                    instances[i].ladder = .exhausted
                    emit(
                        .restartExhausted, name,
                        "still bad \(Self.seconds(now - at)) after the start: every rung tried, waiting for a human",
                        alert: true)
                }
            case .exhausted:
                break
            }
        }
    }

    mutating func begin(_ i: Int, _ step: RestartStep, newLadder: Bool, _ why: String) {
        let name = config.instances[i].name
        if let held = restartHeld(i, newLadder: newLadder) {
            if !instances[i].heldReported {
                instances[i].heldReported = true
                emit(.restartHeld, name, "\(step.rawValue) wanted (\(why)) but held: \(held)", alert: true)
            }
            return
        }
        instances[i].heldReported = false
        instances[i].inFlight = true
        instances[i].lastAction = now
        if newLadder { restartLog.append((i, now)) }
        emit(.restart, name, "\(step.rawValue) \(config.instances[i].instanceId): \(why)")
        out.append(.restart(instance: i, step: step))
    }

    /// Why instance `i` may not be restarted now (nil: it may).
    func restartHeld(_ i: Int, newLadder: Bool) -> String? {
        let policy = config.restart
        if config.instances[i].instanceId == selfInstanceId { return "it is the monitor's own instance" }
        if config.routes.indices.contains(where: {
            config.routes[$0].standby == i && placement[config.routes[$0].homeTunnel] == .standby
        }) {
            return "it carries failed-over traffic"
        }
        for j in instances.indices where j != i && vpcGroup[j] == vpcGroup[i] {
            if let last = instances[j].lastAction, now - last < policy.cooldown {
                return
                    "\(config.instances[j].name) in the same VPC was restarted \(Self.seconds(now - last)) ago (cooldown \(Self.seconds(policy.cooldown)))"
            }
        }
        if newLadder, restartLog.count >= policy.limit {
            return "\(restartLog.count) restarts within \(Self.seconds(policy.window)) (restart-limit)"
        }
        return nil
    }

    /// Asks for the periodic checks and reads that are due.
    mutating func requestDue() {
        let timings = config.timings
        if !schedule.healthInFlight, now >= schedule.health {
            schedule.healthInFlight = true
            schedule.health = Swift.max(schedule.health + timings.checkInterval, now)
            out.append(.checkHealth)
        }
        // While a move waits for its read-back, routes are read every check interval. Once the writes of a
        // decision have landed, a read starts at once, beside any read that began before them (a slow one
        // would otherwise hold the verification up to its timeout).
        let verifying = !moves.isEmpty || routes.contains { $0.written != nil && !$0.inFlight }
        let readBack = schedule.routeReadAfterWrite && !routes.contains { $0.inFlight }
        if readBack || (schedule.routeReadsInFlight.isEmpty && now >= schedule.routes) {
            schedule.routeReadAfterWrite = false
            schedule.routeReads += 1
            schedule.routeReadsInFlight.insert(schedule.routeReads)
            schedule.routes = now + (verifying ? timings.checkInterval : timings.ec2Interval)
            out.append(.readRoutes(read: schedule.routeReads))
        }
        if !schedule.instancesInFlight, now >= schedule.instances {
            schedule.instancesInFlight = true
            schedule.instances = now + timings.ec2Interval
            out.append(.readInstances)
        }
    }
}
