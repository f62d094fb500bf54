/// The snapshot as one JSON object: the control socket's answer and `GET /health`'s body.
/// Field names are stable API (README "Monitoring"); counts keyed by reason keep their order.
extension TunnelSnapshot {
    public var json: String {
        var w = JSONWriter()
        w.beginObject()
        w.string("tunnel", tunnel)
        w.string("version", version)
        w.int("pid", Int64(pid))
        w.string("state", state.rawValue)
        w.string("reason", reason)
        w.bool("healthy", isHealthy)
        w.string("peer", peer)
        w.string("local", local)
        w.int("last_received_seconds", lastReceivedSeconds)
        w.int("last_sent_seconds", lastSentSeconds)
        w.string("device", device)
        w.int("mtu", Int64(mtu))
        w.string("tunnel_address", tunnelAddress)
        w.string("tunnel_peer_address", tunnelPeerAddress)
        w.beginObject("routes")
        w.beginArray("installed")
        for r in routesInstalled { w.string(nil, r) }
        w.endArray()
        w.beginArray("missing")
        for r in routesMissing { w.string(nil, r) }
        w.endArray()
        w.endObject()
        w.bool("ip_forward", ipForward)
        w.beginObject("traffic")
        w.uint("tun_read_bytes", traffic.tunReadBytes)
        w.uint("tun_write_bytes", traffic.tunWriteBytes)
        w.uint("link_read_bytes", traffic.linkReadBytes)
        w.uint("link_write_bytes", traffic.linkWriteBytes)
        w.uint("auth_read_bytes", traffic.authReadBytes)
        w.uint("link_read_packets", traffic.linkReadPackets)
        w.uint("link_write_packets", traffic.linkWritePackets)
        w.endObject()
        w.beginObject("drops")
        for c in drops { w.uint(c.reason, c.count) }
        w.endObject()
        w.beginObject("restarts")
        for c in restarts { w.uint(c.reason, c.count) }
        w.endObject()
        w.int("uptime_seconds", uptimeSeconds)
        w.int("unix_time", unixTime)
        if let probe {
            w.beginObject("probe")
            w.int("interval_seconds", Int64(probe.intervalSeconds))
            w.uint("sent", probe.sent)
            w.uint("received", probe.received)
            w.int("loss_percent", Int64(probe.lossPercent))
            w.double("rtt_ms", probe.rttMilliseconds)
            w.int("last_reply_seconds", probe.lastReplySeconds)
            w.int("last_reply_ms", probe.lastReplyMilliseconds)
            w.double("threshold_seconds", probe.thresholdSeconds)
            w.bool("healthy", probe.isHealthy)
            w.endObject()
        } else {
            w.null("probe")
        }
        w.endObject()
        return w.text
    }

    /// Reads what `json` wrote (for `swvpnd status`); `source` names where it came from in errors.
    public init(json text: String, source: String) throws(SnapshotDecodingError) {
        let v: JSONValue
        do throws(JSONParseError) {
            v = try JSONValue.parse(text)
        } catch {
            throw SnapshotDecodingError(source: source, problem: error.description)
        }
        func need<T>(_ key: String, _ read: (JSONValue) -> T?) throws(SnapshotDecodingError) -> T {
            guard let field = v[key], let value = read(field) else {
                throw SnapshotDecodingError(source: source, problem: "missing or invalid \"\(key)\"")
            }
            return value
        }
        self.init(tunnel: try need("tunnel") { $0.string }, version: try need("version") { $0.string })
        pid = Int32(truncatingIfNeeded: v["pid"]?.int64 ?? 0)
        guard let s = State(rawValue: try need("state") { $0.string }) else {
            throw SnapshotDecodingError(source: source, problem: "unknown \"state\"")
        }
        state = s
        reason = v["reason"]?.string
        peer = v["peer"]?.string
        local = v["local"]?.string
        lastReceivedSeconds = v["last_received_seconds"]?.int64
        lastSentSeconds = v["last_sent_seconds"]?.int64
        device = v["device"]?.string ?? ""
        mtu = Int(v["mtu"]?.int64 ?? 0)
        tunnelAddress = v["tunnel_address"]?.string
        tunnelPeerAddress = v["tunnel_peer_address"]?.string
        if case .array(let items)? = v["routes"]?["installed"] { routesInstalled = items.compactMap(\.string) }
        if case .array(let items)? = v["routes"]?["missing"] { routesMissing = items.compactMap(\.string) }
        ipForward = v["ip_forward"]?.bool
        if let t = v["traffic"] {
            traffic.tunReadBytes = t["tun_read_bytes"]?.uint64 ?? 0
            traffic.tunWriteBytes = t["tun_write_bytes"]?.uint64 ?? 0
            traffic.linkReadBytes = t["link_read_bytes"]?.uint64 ?? 0
            traffic.linkWriteBytes = t["link_write_bytes"]?.uint64 ?? 0
            traffic.authReadBytes = t["auth_read_bytes"]?.uint64 ?? 0
            traffic.linkReadPackets = t["link_read_packets"]?.uint64 ?? 0
            traffic.linkWritePackets = t["link_write_packets"]?.uint64 ?? 0
        }
        func counts(_ key: String) -> [Count] {
            guard case .object(let members)? = v[key] else { return [] }
            return members.map { Count($0.0, $0.1.uint64 ?? 0) }
        }
        drops = counts("drops")
        restarts = counts("restarts")
        uptimeSeconds = v["uptime_seconds"]?.int64 ?? 0
        unixTime = v["unix_time"]?.int64 ?? 0
        if let p = v["probe"], !p.isNull {
            probe = ProbeStatistics(
                intervalSeconds: Int(p["interval_seconds"]?.int64 ?? 0), sent: p["sent"]?.uint64 ?? 0,
                received: p["received"]?.uint64 ?? 0, lossPercent: Int(p["loss_percent"]?.int64 ?? 0),
                rttMilliseconds: p["rtt_ms"]?.double,
                lastReplyMilliseconds: p["last_reply_ms"]?.int64 ?? p["last_reply_seconds"]?.int64.map { $0 * 1000 },
                thresholdMilliseconds: Int64(((p["threshold_seconds"]?.double ?? 0) * 1000).rounded()))
        }
    }
}

public struct SnapshotDecodingError: Error, Sendable, CustomStringConvertible {
    public var source: String
    public var problem: String
    public var description: String { "\(source): \(problem)" }
}
