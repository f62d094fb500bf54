import Foundation
import Glibc
import SwvpnMonitorCore

/// GETs every tunnel end's swvpnd `/health` at once: one round is one poll(2) loop over non-blocking
/// sockets on its own thread, bounded by the health timeout. The status code decides (200 good,
/// anything else bad, no answer unreachable); the JSON body is kept as evidence.
final class HealthPoller: Sendable {
    private let targets: [(tunnel: Int, end: Int, endpoint: HealthEndpoint)]
    private let timeout: Duration

    init(config: MonitorConfig) {
        var targets: [(Int, Int, HealthEndpoint)] = []
        for (t, tunnel) in config.tunnels.enumerated() {
            for end in 0..<2 {
                // Validated by the config parser.
                targets.append((t, end, HealthEndpoint.parse(tunnel.healthURLs[end])!))
            }
        }
        self.targets = targets
        timeout = config.timings.healthTimeout
    }

    func round() async -> [HealthObservation] {
        let targets = self.targets
        let timeout = self.timeout
        let results = await withCheckedContinuation { (continuation: CheckedContinuation<[Outcome], Never>) in
            Thread.detachNewThread {
                continuation.resume(returning: Self.exchange(targets.map(\.endpoint), timeout))
            }
        }
        return zip(targets, results).map { target, outcome in
            let result: HealthResult
            let evidence: String
            var probe: (loss: Int?, age: Int?) = (nil, nil)
            switch outcome {
            case .answered(let response):
                result = response.status == 200 ? .ok : .notOK(status: response.status)
                evidence = Self.summarize(response.body)
                probe = Self.probe(response.body)
            case .failed(let why):
                result = .unreachable
                evidence = why
            }
            return HealthObservation(
                tunnel: target.tunnel, end: target.end, result: result, evidence: evidence,
                probeLossPercent: probe.loss, probeLastReplySeconds: probe.age)
        }
    }

    enum Outcome: Sendable {
        case answered(HealthResponse)
        case failed(String)
    }

    private struct Exchange {
        var fd: Int32 = -1
        var request: [UInt8]
        var sent = 0
        var connected = false
        var received: [UInt8] = []
        var outcome: Outcome?
    }

    /// Blocking: connect, send, read to EOF, for all endpoints together until the deadline.
    static func exchange(_ endpoints: [HealthEndpoint], _ timeout: Duration) -> [Outcome] {
        let deadline = ContinuousClock.now + timeout
        var exchanges = endpoints.map { Exchange(request: HealthResponse.request($0)) }
        for (i, endpoint) in endpoints.enumerated() {
            let fd = socket(
                AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                exchanges[i].outcome = .failed("socket: \(String(cString: strerror(errno)))")
                continue
            }
            exchanges[i].fd = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = endpoint.port.bigEndian
            address.sin_addr.s_addr = endpoint.address.value.bigEndian
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if rc == 0 {
                exchanges[i].connected = true
            } else if errno != EINPROGRESS {
                exchanges[i].outcome = .failed("connect: \(String(cString: strerror(errno)))")
            }
        }
        var buffer = [UInt8](repeating: 0, count: 16384)
        while exchanges.contains(where: { $0.outcome == nil }) {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { break }
            let open = exchanges.indices.filter { exchanges[$0].outcome == nil }
            var fds = open.map { i in
                pollfd(
                    fd: exchanges[i].fd,
                    events: Int16(
                        exchanges[i].connected && exchanges[i].sent == exchanges[i].request.count ? POLLIN : POLLOUT),
                    revents: 0)
            }
            let ms = Int32(
                clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            guard poll(&fds, nfds_t(fds.count), ms) >= 0 || errno == EINTR else { break }
            for (k, i) in open.enumerated() where fds[k].revents != 0 {
                step(&exchanges[i], &buffer)
            }
        }
        for i in exchanges.indices {
            if exchanges[i].fd >= 0 { close(exchanges[i].fd) }
            if exchanges[i].outcome == nil {
                exchanges[i].outcome = .failed("no answer within \(MonitorCore.seconds(timeout))")
            }
        }
        return exchanges.map { $0.outcome! }
    }

    private static func step(_ x: inout Exchange, _ buffer: inout [UInt8]) {
        if !x.connected {
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(x.fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else {
                x.outcome = .failed("connect: \(String(cString: strerror(error)))")
                return
            }
            x.connected = true
        }
        if x.sent < x.request.count {
            let n = x.request[x.sent...].withUnsafeBytes { send(x.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                x.sent += n
            } else if n < 0 && errno != EAGAIN {
                x.outcome = .failed("send: \(String(cString: strerror(errno)))")
            }
            return
        }
        let n = buffer.withUnsafeMutableBytes { recv(x.fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            x.received += buffer[0..<n]
            if x.received.count > 65536 { finish(&x) }
        } else if n == 0 {
            finish(&x)
        } else if errno != EAGAIN {
            x.outcome = .failed("recv: \(String(cString: strerror(errno)))")
        }
    }

    private static func finish(_ x: inout Exchange) {
        if let response = HealthResponse.parse(x.received) {
            x.outcome = .answered(response)
        } else {
            x.outcome = .failed("not an HTTP answer")
        }
    }

    /// `probe.loss_percent` and `probe.last_reply_seconds` from swvpnd's JSON, for the core's standby check.
    static func probe(_ body: [UInt8]) -> (loss: Int?, age: Int?) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.prefix(16384))) as? [String: Any],
            let probe = object["probe"] as? [String: Any]
        else { return (nil, nil) }
        return ((probe["loss_percent"] as? NSNumber)?.intValue, (probe["last_reply_seconds"] as? NSNumber)?.intValue)
    }

    /// `state=lost reason=... probe_loss=..%` from swvpnd's JSON, at most a line.
    static func summarize(_ body: [UInt8]) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.prefix(16384))) as? [String: Any] else {
            return body.isEmpty ? "" : "body is not JSON"
        }
        var parts: [String] = []
        if let state = object["state"] as? String { parts.append("state=\(state)") }
        if let reason = object["reason"] as? String { parts.append("reason=\(reason)") }
        if let received = object["last_received_seconds"] as? Double { parts.append("last_received=\(received)s") }
        if let probe = object["probe"] as? [String: Any], let loss = probe["loss_percent"] as? Double {
            parts.append("probe_loss=\(loss)%")
        }
        let line = parts.joined(separator: " ")
        return String(
            line.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }.prefix(200).map(Character.init))
    }
}
