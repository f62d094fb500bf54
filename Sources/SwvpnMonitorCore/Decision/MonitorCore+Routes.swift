extension MonitorCore {
    func routes(of tunnel: Int) -> [Int] { config.routes.indices.filter { config.routes[$0].homeTunnel == tunnel } }

    /// Where `routes[r]` should point now, and the tunnel that carries it there.
    func desired(_ r: Int) -> (instance: Int, carrier: Int) {
        let route = config.routes[r]
        return placement[route.homeTunnel] == .home
            ? (route.home, route.homeTunnel) : (route.standby, route.standbyTunnel)
    }

    func describe(_ observed: RouteObservation?) -> String {
        guard let observed else { return "missing" }
        if let i = config.instances.first(where: { observed.targets($0) }) { return i.name }
        return observed.networkInterfaceId ?? observed.instanceId ?? "another target"
    }

    mutating func routesRead(_ read: Int, _ result: Result<[RouteObservation], APIFailure>) {
        schedule.routeReadsInFlight.remove(read)
        // A read older than one already applied may show targets written over since: it says nothing new.
        guard read > schedule.routeReadApplied else { return }
        switch result {
        case .failure(let failure):
            ec2Failed("DescribeRouteTables", failure)
        case .success(let observed):
            schedule.routeReadApplied = read
            ec2Succeeded()
            for (r, route) in config.routes.enumerated() {
                routes[r].observed = observed.first {
                    $0.tableId == route.tableId && $0.destination == route.destination
                }
                routes[r].seen = true
                if let o = routes[r].observed, let i = config.instances.firstIndex(where: { o.targets($0) }) {
                    if o.blackhole { blackholed.insert(i) } else { blackholed.remove(i) }
                }
                if routes[r].observed?.targets(config.instances[desired(r).instance]) == true {
                    routes[r].written = nil
                }
            }
            if !adopted { adopt() }
            verifyMoves()
        }
    }

    /// At start the routes stay where they are: a tunnel whose routes point at its standby stays failed over.
    mutating func adopt() {
        adopted = true
        for t in tunnels.indices {
            let mine = routes(of: t)
            guard !mine.isEmpty else { continue }
            let onStandby = mine.contains {
                routes[$0].observed?.targets(config.instances[config.routes[$0].standby]) == true
            }
            placement[t] = onStandby ? .standby : .home
            let list = mine.map {
                "\(config.routes[$0].tableId) \(config.routes[$0].destination) → \(describe(routes[$0].observed))"
            }
            emit(.adopted, config.tunnels[t].name, "routes \(placement[t].rawValue): " + list.joined(separator: ", "))
        }
    }

    /// A move counts once DescribeRouteTables shows every route of the tunnel, both VPCs, at its new target.
    mutating func verifyMoves() {
        for (t, move) in moves.sorted(by: { $0.key < $1.key }) {
            let done = routes(of: t).allSatisfy { r in
                routes[r].observed?.targets(config.instances[desired(r).instance]) == true
            }
            guard done else { continue }
            moves[t] = nil
            let took = now - move.firstBad
            if move.failover { counters.lastFailoverSeconds = Self.secondsValue(took) }
            emit(
                .routesVerified, config.tunnels[t].name,
                "all \(routes(of: t).count) routes read back on \(move.placement.rawValue) targets, \(Self.seconds(took)) after the first bad check"
                    + " (\(Self.seconds(now - move.decided)) after the decision)")
        }
    }

    /// Failover, failback, and the cases where nothing may move.
    mutating func decideMoves() {
        // Tunnels on standby first: one whose standby just died goes home before its partner, whose own
        // failover then finds it home (not a second "both down").
        let order =
            tunnels.indices.filter { placement[$0] == .standby } + tunnels.indices.filter { placement[$0] == .home }
        for t in order where !routes(of: t).isEmpty {
            let u = partner(of: t)
            let pair = pairIndex(of: t)
            let name = config.tunnels[t].name
            let other = config.tunnels[u].name
            if tunnels[t].status == .up || tunnels[u].status == .up { bothDownReported.remove(pair) }
            switch placement[t] {
            case .home:
                guard tunnels[t].status == .down else {
                    tunnels[t].heldSince = nil
                    continue
                }
                let standbyReady = tunnels[u].status == .up && placement[u] == .home
                if standbyReady && rising(t) {
                    // Its own checks are good again (after both were down, a hold, or isolation): it comes back by
                    // itself, and a move now would be moved back after the failback hold.
                    tunnels[t].heldSince = nil
                    continue
                } else if standbyReady, let why = tunnels[u].degrading,
                    now - (tunnels[t].heldSince ?? now) < failoverHoldLimit
                {
                    holdFailover(t, u, why)
                } else if standbyReady {
                    move(
                        t, to: .standby, firstBad: tunnels[t].firstBad ?? tunnels[t].since, failover: true,
                        "\(name) down (\(tunnels[t].evidence)), \(other) up")
                } else {
                    reportBothDown(pair, t, u)
                }
            case .standby:
                if tunnels[u].status == .down {
                    if tunnels[t].status == .up {
                        move(
                            t, to: .home, firstBad: tunnels[u].firstBad ?? tunnels[u].since, failover: true,
                            "standby \(other) down (\(tunnels[u].evidence)), \(name) up: back home at once")
                    } else {
                        reportBothDown(pair, t, u)
                    }
                } else if tunnels[t].status == .up && tunnels[u].status == .up {
                    failbackIfDue(t, pair)
                }
            }
        }
    }

    mutating func failbackIfDue(_ t: Int, _ pair: Int) {
        let name = config.tunnels[t].name
        if damped(t) {
            if !dampedReported.contains(t) {
                dampedReported.insert(t)
                emit(
                    .damped, name,
                    "went down \(tunnels[t].downs.count) times within \(Self.seconds(config.timings.flapWindow)): its routes stay on standby until it is calm that long",
                    alert: true)
            }
            return
        }
        dampedReported.remove(t)
        guard now - tunnels[t].since >= config.timings.failbackHold else { return }
        if let last = lastFailback[pair], now - last < config.timings.failbackMinInterval { return }
        if let why = tunnels[t].degrading {
            holdFailback(t, why)
            return
        }
        tunnels[t].failbackHeld = false
        lastFailback[pair] = now
        counters.failbacks += 1
        move(t, to: .home, firstBad: now, failover: false, "\(name) up for \(Self.seconds(now - tunnels[t].since))")
    }

    /// Long enough for a cut standby's swvpnd to stop saying 200 and for `fall` bad checks after that;
    /// a standby that stays up but lossy that long gets the routes anyway.
    var failoverHoldLimit: Duration { config.timings.checkInterval * (config.timings.fall + 3) }

    /// The standby answers 200 but its probe is losing replies: it may be cut too (its swvpnd notices seconds
    /// later). Wait for the next check: it comes clean (fail over) or goes down (both down, nothing written).
    mutating func holdFailover(_ t: Int, _ u: Int, _ why: String) {
        if checkRound { counters.failoversHeld += 1 }
        guard tunnels[t].heldSince == nil else { return }
        tunnels[t].heldSince = now
        emit(
            .failoverHeld, config.tunnels[t].name,
            "\(config.tunnels[t].name) down, failover held: standby degrading: \(why) (\(config.tunnels[u].name))")
    }

    /// Down, but its latest checks are good (fewer than `rise` so far).
    func rising(_ t: Int) -> Bool { tunnels[t].status == .down && tunnels[t].good > 0 }

    /// Home is up but its 200s carry probe loss (or it just had a bad check): the standby carries the traffic
    /// well, so going back waits for a clean check, however long that takes.
    mutating func holdFailback(_ t: Int, _ why: String) {
        if checkRound { counters.failbacksHeld += 1 }
        guard !tunnels[t].failbackHeld else { return }
        tunnels[t].failbackHeld = true
        emit(
            .failbackHeld, config.tunnels[t].name,
            "\(config.tunnels[t].name) up for \(Self.seconds(now - tunnels[t].since)), failback held: home degrading: \(why)"
        )
    }

    mutating func reportBothDown(_ pair: Int, _ t: Int, _ u: Int) {
        guard !bothDownReported.contains(pair) else { return }
        bothDownReported.insert(pair)
        emit(
            .bothDown, config.tunnels[t].name,
            "\(config.tunnels[t].name) and \(config.tunnels[u].name) are both not up: moving nothing (\(tunnels[t].evidence))",
            alert: true)
    }

    /// Every route of the tunnel, both VPCs, gets the new placement at once.
    mutating func move(_ t: Int, to target: Placement, firstBad: Duration, failover: Bool, _ why: String) {
        placement[t] = target
        if failover { counters.failovers += 1 }
        moves[t] = Move(placement: target, firstBad: firstBad, decided: now, failover: failover)
        var list: [String] = []
        for r in routes(of: t) {
            routes[r].written = nil
            routes[r].failures = 0
            routes[r].retryAt = .zero
            list.append(
                "\(config.routes[r].tableId) \(config.routes[r].destination) → \(config.instances[desired(r).instance].name)"
            )
        }
        emit(
            target == .standby ? .failover : .failback, config.tunnels[t].name,
            "\(why): " + list.joined(separator: ", "))
    }

    /// Writes only configured routes, only where EC2 shows another target, only to a tunnel that is up,
    /// and not again within the grace after a write of ours (EC2 is eventually consistent).
    mutating func writeRoutes() {
        for r in routes.indices where routes[r].seen && !routes[r].inFlight {
            let (target, carrier) = desired(r)
            if routes[r].observed?.targets(config.instances[target]) == true { continue }
            guard tunnels[carrier].status == .up, now >= routes[r].retryAt else { continue }
            if let written = routes[r].written {
                guard now - written >= config.timings.routeGrace else { continue }
                emit(
                    .routeDrift, config.routes[r].tableId,
                    "\(config.routes[r].destination) still shows \(describe(routes[r].observed)) \(Self.seconds(now - written)) after our write: writing again"
                )
            } else if moves[config.routes[r].homeTunnel] == nil {
                emit(
                    .routeDrift, config.routes[r].tableId,
                    "\(config.routes[r].destination) shows \(describe(routes[r].observed)), should be \(config.instances[target].name): fixing"
                )
            }
            routes[r].inFlight = true
            out.append(.writeRoute(route: r, target: target))
        }
    }

    mutating func routeWritten(_ r: Int, _ result: Result<MonitorEvent.Empty, APIFailure>) {
        routes[r].inFlight = false
        let route = config.routes[r]
        let target = config.instances[desired(r).instance].name
        switch result {
        case .success:
            ec2Succeeded()
            routes[r].written = now
            routes[r].failures = 0
            counters.routeWrites += 1
            emit(.routeWrite, route.tableId, "\(route.destination) → \(target) written; reading back")
            schedule.routeReadAfterWrite = true
        case .failure(let failure):
            if failure.kind == .unreachable { ec2Failed("ReplaceRoute", failure) }
            routes[r].failures += 1
            let backoff = Duration.milliseconds(500 * (1 << min(routes[r].failures - 1, 4)))
            routes[r].retryAt = now + backoff
            emit(
                .routeWriteFailed, route.tableId,
                "\(route.destination) → \(target) failed (\(failure.message)); retry in \(Self.seconds(backoff))",
                alert: routes[r].failures >= 3)
        }
    }
}
