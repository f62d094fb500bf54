import SwvpnConfig

/// One monitor.conf directive: syntax, help text and what it sets. `--help`, the sample config and the
/// README table come from `MonitorDirectives.all`.
public struct MonitorDirective: Sendable {
    public let name: String
    public let arguments: ClosedRange<Int>
    public let synopsis: String
    public let summary: String
    /// Lines that add an item (instance, tunnel, route...) rather than set a value.
    public let repeatable: Bool
    let apply: @Sendable (inout MonitorConfig, MonitorLine) throws(ConfigError) -> Void
}

public enum MonitorDirectives {
    public static func named(_ name: String) -> MonitorDirective? { all.first { $0.name == name } }

    private static func set(
        _ name: String, _ arguments: ClosedRange<Int>, _ synopsis: String, _ summary: String,
        repeatable: Bool = false,
        _ apply: @escaping @Sendable (inout MonitorConfig, MonitorLine) throws(ConfigError) -> Void
    ) -> MonitorDirective {
        MonitorDirective(
            name: name, arguments: arguments, synopsis: synopsis, summary: summary, repeatable: repeatable, apply: apply
        )
    }

    private static func seconds(
        _ name: String, _ summary: String, _ range: ClosedRange<Double>,
        _ path: any WritableKeyPath<MonitorConfig, Duration> & Sendable
    ) -> MonitorDirective {
        set(name, 1...1, "\(name) SECONDS", summary) { c, l throws(ConfigError) in
            c[keyPath: path] = try l.seconds(0, range, name)
        }
    }

    public static let all: [MonitorDirective] = [
        // MARK: Where
        set("region", 1...1, "region NAME", "AWS region (default: the instance metadata's region).") {
            c, l throws(ConfigError) in
            guard
                l.arguments[0].utf8.allSatisfy({
                    (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "-")
                }),
                !l.arguments[0].isEmpty
            else { throw l.error("bad region '\(l.arguments[0])'") }
            c.region = l.arguments[0]
        },
        set(
            "ec2-endpoint", 1...1, "ec2-endpoint URL",
            "EC2 endpoint instead of https://ec2.REGION.amazonaws.com (VPC endpoint, tests)."
        ) { c, l throws(ConfigError) in
            c.ec2Endpoint = try l.url(0, "endpoint")
        },
        set(
            "imds-endpoint", 1...1, "imds-endpoint URL",
            "Instance metadata endpoint instead of http://169.254.169.254 (tests)."
        ) { c, l throws(ConfigError) in
            c.imdsEndpoint = try l.url(0, "endpoint")
        },

        // MARK: Topology
        set(
            "instance", 3...4, "instance NAME INSTANCE-ID ENI-ID [HEALTH-URL]",
            "A VPN instance, its primary network interface, and its swvpnd's /health URL.", repeatable: true
        ) { c, l throws(ConfigError) in
            guard c.instanceIndex(named: l.arguments[0]) == nil else {
                throw l.error("instance '\(l.arguments[0])' is already defined")
            }
            let id = try l.awsId(1, prefix: "i-", "instance id")
            let eni = try l.awsId(2, prefix: "eni-", "network interface id")
            if let other = c.instances.first(where: { $0.instanceId == id || $0.eniId == eni }) {
                throw l.error("'\(other.name)' (\(other.location)) has the same instance or ENI id")
            }
            c.instances.append(
                .init(
                    name: l.arguments[0], instanceId: id, eniId: eni,
                    healthURL: l[3] == nil ? nil : try l.healthURL(3), location: l.location))
        },
        set(
            "tunnel", 3...5, "tunnel NAME INSTANCE INSTANCE [HEALTH-URL HEALTH-URL]",
            "A tunnel between two instances; the URLs (default: the instances') are each end's swvpnd /health.",
            repeatable: true
        ) { c, l throws(ConfigError) in
            guard c.tunnelIndex(named: l.arguments[0]) == nil else {
                throw l.error("tunnel '\(l.arguments[0])' is already defined")
            }
            guard l.arguments.count != 4 else { throw l.error("give both ends' health URLs or neither") }
            let ends = [try l.instance(1, in: c), try l.instance(2, in: c)]
            guard ends[0] != ends[1] else { throw l.error("both ends are '\(l.arguments[1])'") }
            var urls: [String] = []
            for side in 0..<2 {
                if l.arguments.count == 5 {
                    urls.append(try l.healthURL(3 + side))
                } else if let url = c.instances[ends[side]].healthURL {
                    urls.append(url)
                } else {
                    throw l.error(
                        "instance '\(l.arguments[1 + side])' has no health URL: add one to its instance line or here")
                }
            }
            c.tunnels.append(.init(name: l.arguments[0], ends: ends, healthURLs: urls, location: l.location))
        },
        set(
            "pair", 2...2, "pair TUNNEL TUNNEL",
            "Two tunnels between the same two VPCs that stand in for each other (first ends in one VPC, second ends in the other).",
            repeatable: true
        ) { c, l throws(ConfigError) in
            let tunnels = [try l.tunnel(0, in: c), try l.tunnel(1, in: c)]
            guard tunnels[0] != tunnels[1] else { throw l.error("a tunnel cannot stand in for itself") }
            if let other = c.pairs.first(where: { !Set($0.tunnels).isDisjoint(with: tunnels) }) {
                throw l.error("tunnel already in the pair at \(other.location)")
            }
            let a = c.tunnels[tunnels[0]].ends
            let b = c.tunnels[tunnels[1]].ends
            guard Set(a).isDisjoint(with: b) else {
                throw l.error("the two tunnels share an instance: the standby must be another instance")
            }
            c.pairs.append(.init(tunnels: tunnels, location: l.location))
        },
        set(
            "route", 4...5, "route TABLE-ID DESTINATION-CIDR HOME-INSTANCE STANDBY-INSTANCE [HOME-TUNNEL]",
            "A route entry the monitor owns: home target, standby target (the tunnel is needed when the home instance has several).",
            repeatable: true
        ) { c, l throws(ConfigError) in
            let table = try l.awsId(0, prefix: "rtb-", "route table id")
            let destination = try l.ipv4CIDR(1)
            let home = try l.instance(2, in: c)
            let standby = try l.instance(3, in: c)
            if let other = c.routes.first(where: { $0.tableId == table && $0.destination == destination }) {
                throw l.error("\(table) \(destination) is already owned by the route at \(other.location)")
            }
            // Candidates: tunnel T with `home` at side s, paired with U that has `standby` at side s.
            var candidates: [(Int, Int)] = []
            for pair in c.pairs {
                for (t, u) in [(pair.tunnels[0], pair.tunnels[1]), (pair.tunnels[1], pair.tunnels[0])] {
                    for side in 0..<2 where c.tunnels[t].ends[side] == home && c.tunnels[u].ends[side] == standby {
                        candidates.append((t, u))
                    }
                }
            }
            if let named = l[4] {
                let t = try l.tunnel(4, in: c)
                candidates = candidates.filter { $0.0 == t }
                guard !candidates.isEmpty else {
                    throw l.error(
                        "tunnel '\(named)' does not join \(l.arguments[2]) in a pair whose other tunnel has \(l.arguments[3]) on the same side"
                    )
                }
            }
            guard let chosen = candidates.first else {
                throw l.error(
                    "no pair has a tunnel from \(l.arguments[2]) and one from \(l.arguments[3]) on the same side")
            }
            guard candidates.count == 1 else {
                throw l.error(
                    "\(l.arguments[2]) carries several tunnels in pairs with \(l.arguments[3]): name the home tunnel as 5th argument"
                )
            }
            c.routes.append(
                .init(
                    tableId: table, destination: destination, home: home, standby: standby,
                    homeTunnel: chosen.0, standbyTunnel: chosen.1, location: l.location))
        },

        // MARK: Timings
        seconds("check-interval", "Seconds between health checks (default 1).", 0.1...60, \.timings.checkInterval),
        seconds(
            "health-timeout", "Seconds a health GET may take (default 0.8; below check-interval).", 0.05...59,
            \.timings.healthTimeout),
        set("fall", 1...1, "fall N", "Consecutive bad checks before a tunnel is down (default 2).") {
            c, l throws(ConfigError) in
            c.timings.fall = try l.integer(0, 1...100, "count")
        },
        set("rise", 1...1, "rise N", "Consecutive good checks before a tunnel is up (default 5).") {
            c, l throws(ConfigError) in
            c.timings.rise = try l.integer(0, 1...1000, "count")
        },
        seconds(
            "failback-hold", "Seconds the home tunnel must stay up before routes go back (default 60).", 0...86400,
            \.timings.failbackHold),
        seconds(
            "failback-min-interval", "At most one failback per pair in this many seconds (default 300).", 0...86400,
            \.timings.failbackMinInterval),
        set(
            "flap-damping", 2...2, "flap-damping N SECONDS",
            "A tunnel down N times within SECONDS stays on standby until it has been calm that long (default 3 600)."
        ) { c, l throws(ConfigError) in
            c.timings.flapCount = try l.integer(0, 2...100, "count")
            c.timings.flapWindow = try l.seconds(1, 1...86400, "window")
        },
        seconds(
            "ec2-interval", "Seconds between reads of the route tables and instance status (default 5).", 1...3600,
            \.timings.ec2Interval),
        seconds(
            "route-grace",
            "Seconds a write may take to show in DescribeRouteTables before it is written again (default 10).", 0...600,
            \.timings.routeGrace),
        seconds(
            "isolation-after",
            "Seconds without a successful EC2 call before the monitor counts itself cut off (default 10).", 1...3600,
            \.timings.isolationAfter),

        // MARK: Restarts
        set("restart", 1...1, "restart yes|no", "Restart VPN instances whose swvpnd stays silent (default yes).") {
            c, l throws(ConfigError) in
            c.restart.enabled = try l.yesNo(0)
        },
        seconds(
            "restart-after",
            "Seconds of silence (swvpnd unreachable, instance running) before RebootInstances (default 30).", 1...86400,
            \.restart.silentAfter),
        seconds(
            "boot-grace", "Seconds after a reboot or start before the next rung of the ladder (default 180).",
            10...86400, \.restart.bootGrace),
        seconds(
            "stop-timeout", "Seconds before StopInstances is repeated with Force (default 120).", 1...86400,
            \.restart.stopTimeout),
        seconds(
            "restart-cooldown", "Never two instances of one VPC restarted within this many seconds (default 600).",
            0...86400, \.restart.cooldown),
        set("restart-limit", 2...2, "restart-limit N SECONDS", "At most N restarts per SECONDS (default 3 3600).") {
            c, l throws(ConfigError) in
            c.restart.limit = try l.integer(0, 0...1000, "count")
            c.restart.window = try l.seconds(1, 1...604800, "window")
        },

        set(
            "fix-source-dest-check", 1...1, "fix-source-dest-check yes|no",
            "At start, turn the source/destination check off on VPN instances that have it on (default no: alert only)."
        ) { c, l throws(ConfigError) in
            c.fixSourceDestCheck = try l.yesNo(0)
        },

        // MARK: Outputs
        set(
            "notify-exec", 1...15, "notify-exec PROGRAM [ARG...]",
            "Run PROGRAM (no shell) on every alert and route move; SWVPN_MONITOR_EVENT etc. name the event."
        ) { c, l throws(ConfigError) in
            guard l.arguments[0].hasPrefix("/") else { throw l.error("'\(l.arguments[0])' must be an absolute path") }
            c.notify.exec = l.arguments
        },
        seconds(
            "notify-timeout", "Seconds before a notify-exec program is killed (default 10).", 1...600, \.notify.timeout),
        set(
            "notify-sns", 1...2, "notify-sns TOPIC-ARN [ENDPOINT-URL]",
            "Also publish alerts and route moves to this SNS topic (its region; endpoint override for tests)."
        ) { c, l throws(ConfigError) in
            let fields = l.arguments[0].split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 6, fields[0] == "arn", fields[2] == "sns", !fields[3].isEmpty, !fields[5].isEmpty
            else {
                throw l.error("bad topic ARN '\(l.arguments[0])' (arn:aws:sns:REGION:ACCOUNT:NAME)")
            }
            c.notify.snsTopicArn = l.arguments[0]
            c.notify.snsEndpoint = l[1] == nil ? nil : try l.url(1, "endpoint")
        },
        set(
            "metrics-listen", 2...2, "metrics-listen ADDRESS PORT",
            "Serve Prometheus GET /metrics on this address (16 connections, 2 s and 8 KiB per request)."
        ) { c, l throws(ConfigError) in
            guard IPv4Address(l.arguments[0]) != nil || l.arguments[0].contains(":") else {
                throw l.error("bad address '\(l.arguments[0])' (an IP address)")
            }
            c.metricsListen = .init(address: l.arguments[0], port: UInt16(try l.integer(1, 1...65535, "port")))
        },
        set(
            "status-file", 1...1, "status-file PATH",
            "Where the monitor writes its state for `swvpn-monitor status` (default /run/swvpn-monitor/status.json)."
        ) { c, l throws(ConfigError) in
            guard l.arguments[0].hasPrefix("/") else { throw l.error("'\(l.arguments[0])' must be an absolute path") }
            c.statusFile = l.arguments[0]
        },
    ]
}
