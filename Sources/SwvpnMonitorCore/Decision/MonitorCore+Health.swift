extension MonitorCore {
    /// One round of /health answers: instance silence, the monitor's own view, then each tunnel's fall/rise.
    mutating func healthRound(_ observations: [HealthObservation]) {
        schedule.healthInFlight = false
        checkRound = true
        var probed = Array(repeating: false, count: instances.count)
        var answered = probed
        var allOK = Array(repeating: true, count: instances.count)
        for o in observations where config.tunnels.indices.contains(o.tunnel) && (0..<2).contains(o.end) {
            let i = config.tunnels[o.tunnel].ends[o.end]
            probed[i] = true
            if o.result != .unreachable { answered[i] = true }
            if o.result != .ok { allOK[i] = false }
        }
        for i in instances.indices where probed[i] {
            instances[i].silentSince = answered[i] ? nil : (instances[i].silentSince ?? now)
            instances[i].healthy = answered[i] && allOK[i]
        }
        // Most agents silent while EC2 says they run: the monitor is the one cut off. Such a round counts for nothing.
        let silent = instances.indices.filter { probed[$0] && !answered[$0] }
        let probedCount = probed.filter { $0 }.count
        let cutOff =
            probedCount > 0 && silent.count * 2 > probedCount
            && silent.allSatisfy { instanceStatus[config.instances[$0].instanceId]?.state == "running" }
        // In at once, out only after `rise` clear rounds, so one lucky round does not end it.
        clearRounds = cutOff ? 0 : clearRounds + 1
        if cutOff { agentsSilent = true } else if clearRounds >= config.timings.rise { agentsSilent = false }
        if cutOff { return }

        for t in tunnels.indices {
            let (evidence, answering) = badEvidence(t, observations)
            // A standby with a bad check (not yet `fall` of them) is no failover target either.
            tunnels[t].degrading =
                evidence.isEmpty ? degradation(t, observations) : "bad check: " + evidence.joined(separator: "; ")
            if evidence.isEmpty { good(t) } else { bad(t, evidence.joined(separator: "; "), bothAnswer: answering) }
        }
    }

    /// Why tunnel `t` is bad this round (empty: good), and whether both ends' swvpnd answered.
    func badEvidence(_ t: Int, _ observations: [HealthObservation]) -> ([String], Bool) {
        var evidence: [String] = []
        var answering = true
        for end in 0..<2 {
            let instance = config.instances[config.tunnels[t].ends[end]]
            switch observations.first(where: { $0.tunnel == t && $0.end == end }) {
            case let o? where o.result == .ok: break
            case let o?:
                if o.result == .unreachable { answering = false }
                let what = o.result == .unreachable ? "unreachable" : "HTTP \(o.statusCode)"
                evidence.append("\(instance.name) /health \(what)" + (o.evidence.isEmpty ? "" : " (\(o.evidence))"))
            case nil:
                answering = false
                evidence.append("\(instance.name) /health not checked")
            }
            if let status = instanceStatus[instance.instanceId] {
                if status.state != "running" { evidence.append("EC2: \(instance.name) is \(status.state)") }
                if status.impaired { evidence.append("EC2: \(instance.name) status impaired") }
            }
            if blackholed.contains(config.tunnels[t].ends[end]) {
                evidence.append("EC2: a route to \(instance.name) is a blackhole")
            }
        }
        return (evidence, answering)
    }

    /// Why tunnel `t`'s 200s are not confirmed evidence (nil: clean): an end reports probe loss, or its latest
    /// probe reply is older than two check intervals (swvpnd still says 200 for a few seconds after a cut).
    func degradation(_ t: Int, _ observations: [HealthObservation]) -> String? {
        let stale = max(2, Int((Self.secondsValue(config.timings.checkInterval) * 2).rounded(.up)))
        for o in observations where o.tunnel == t && o.result == .ok {
            let name = config.instances[config.tunnels[t].ends[o.end]].name
            if let loss = o.probeLossPercent, loss > 0 { return "probe loss \(loss) % at \(name)" }
            if let age = o.probeLastReplySeconds, age > stale { return "last probe reply \(age) s ago at \(name)" }
        }
        return nil
    }

    mutating func good(_ t: Int) {
        tunnels[t].good += 1
        tunnels[t].bad = 0
        tunnels[t].firstBad = nil
        guard tunnels[t].status != .up, tunnels[t].good >= config.timings.rise else { return }
        tunnels[t].status = .up
        tunnels[t].since = now
        emit(.tunnelUp, config.tunnels[t].name, "up after \(config.timings.rise) good checks")
    }

    mutating func bad(_ t: Int, _ evidence: String, bothAnswer: Bool) {
        tunnels[t].bad += 1
        tunnels[t].good = 0
        if tunnels[t].firstBad == nil { tunnels[t].firstBad = now }
        tunnels[t].evidence = evidence
        guard tunnels[t].status != .down, tunnels[t].bad >= config.timings.fall else { return }
        let wasUp = tunnels[t].status == .up
        tunnels[t].status = .down
        tunnels[t].failbackHeld = false
        tunnels[t].since = now
        if wasUp { tunnels[t].downs.append(now) }
        let name = config.tunnels[t].name
        emit(.tunnelDown, name, "down after \(config.timings.fall) bad checks: \(evidence)")
        if bothAnswer {
            emit(
                .notInstanceFault, name, "both ends' swvpnd answer: a tunnel fault, not an instance fault (no restart)",
                alert: true)
        }
    }

    /// Downs within the flap window reach the damping count: the tunnel stays on standby.
    mutating func damped(_ t: Int) -> Bool {
        tunnels[t].downs.removeAll { now - $0 >= config.timings.flapWindow }
        return tunnels[t].downs.count >= config.timings.flapCount
    }
}

extension HealthObservation {
    var statusCode: Int {
        if case .notOK(let status) = result { return status }
        return result == .ok ? 200 : 0
    }
}
