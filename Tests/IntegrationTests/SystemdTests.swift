import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Plays systemd's side of sd_notify(3): a unix datagram socket bound before the daemon starts.
/// A path socket (not an abstract one) because abstract sockets belong to a network namespace.
final class NotifySocket {
    let path: String
    private let fd: Int32
    /// Every datagram received so far, in order.
    private(set) var messages: [String] = []

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket(AF_UNIX): errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw HarnessError("notify socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else {
            close(fd)
            throw HarnessError("bind \(path): errno \(errno)")
        }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// One datagram, or nil when none arrives within `timeout` seconds.
    func receive(timeout: Double) -> String? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(max(0, timeout) * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let text = String(decoding: buffer[..<n], as: UTF8.self)
        messages.append(text)
        return text
    }

    /// Reads until a datagram satisfies `match` (returned) or `timeout` passes (nil).
    func waitFor(timeout: Double, _ match: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return nil }
            if let m = receive(timeout: left), match(m) { return m }
        }
    }

    /// Everything that arrives during `seconds`.
    func collect(for seconds: Double) -> [String] {
        var got: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        while deadline.timeIntervalSinceNow > 0 {
            if let m = receive(timeout: deadline.timeIntervalSinceNow) { got.append(m) }
        }
        return got
    }

    static func status(of message: String) -> String? {
        message.split(separator: "\n").first { $0.hasPrefix("STATUS=") }.map { String($0.dropFirst(7)) }
    }

    static func lines(_ message: String) -> [Substring] { message.split(separator: "\n") }
}

extension IntegrationTests {
    /// swvpnd under a stand-in for systemd: `Type=notify` READY=1 only once routes exist, WATCHDOG=1 from
    /// the packet loops, STATUS= that follows the peer (issue #4).
    @Suite(.serialized)
    struct Systemd {
        static let cipher = CipherCase.aes256CBCSHA256KeyDirection
        static let farVPC = "172.16.0.0/16"

        static func startNotified(_ lab: NetnsLab, _ seed: SeedLab, socket: NotifySocket, config: String) throws
            -> Daemon
        {
            let bin = try Prerequisites.swvpndBinary()
            let path = try lab.write("swvpnd-A-notify.conf", config)
            return try lab.spawn(
                in: seed.vpnA, label: "swvpnd-A-notify",
                ["env", "NOTIFY_SOCKET=\(socket.path)", "WATCHDOG_USEC=2000000", bin, "--config", path])
        }

        static func routes(_ ns: String) throws -> String { try Shell.must(["ip", "-n", ns, "route", "show"]) }

        /// Namespaces, a key and a notify socket: the start of every test here.
        static func prepare() throws -> (NetnsLab, SeedLab, String, NotifySocket) {
            try Prerequisites.requireBase()
            let lab = try NetnsLab()
            do {
                let seed = try SeedLab(lab: lab)
                return (lab, seed, try seed.generateKey(), try NotifySocket(path: lab.path("notify.sock")))
            } catch {
                lab.teardown()
                throw error
            }
        }

        /// The next datagram with `line` in it, or an error showing what came instead and the log.
        static func await(_ line: String, _ notify: NotifySocket, _ daemon: Daemon, timeout: Double = 20) throws
            -> String
        {
            guard let message = notify.waitFor(timeout: timeout, { NotifySocket.lines($0).contains(Substring(line)) })
            else {
                throw HarnessError(
                    "no \(line) within \(Int(timeout)) s; got \(notify.messages.suffix(10))\nlog:\n\(daemon.log().tail(30))"
                )
            }
            return message
        }

        @Test
        func readyAfterRoutesThenWatchdogPingsAndStatusFollowsThePeer() throws {
            let (lab, seed, key, notify) = try Self.prepare()
            defer { lab.teardown() }
            let extra = ["keepalive 1 4"]
            let a = try Self.startNotified(
                lab, seed, socket: notify,
                config: seed.config(side: .a, cipher: Self.cipher, keyPath: key, extra: extra))

            // READY=1 comes without a peer (the device, socket and routes are all local) ...
            guard let ready = notify.waitFor(timeout: 20, { NotifySocket.lines($0).contains("READY=1") }) else {
                throw HarnessError("no READY=1 within 20 s; got \(notify.messages)\nlog:\n\(a.log().tail(30))")
            }
            // ... and only after the route: it is in the table and in the log the moment READY is read.
            let routesAtReady = try Self.routes(seed.vpnA)
            let logAtReady = a.log()
            #expect(
                routesAtReady.contains("\(Self.farVPC) via \(SeedLab.tunnelB)"),
                "READY=1 arrived before the route to \(Self.farVPC):\n\(routesAtReady)")
            #expect(
                logAtReady.contains("route added"), "READY=1 before 'route added' in the log:\n\(logAtReady.tail(20))")
            #expect(!notify.messages.dropLast().contains { $0.contains("READY=1") }, "READY=1 sent twice")
            let readyStatus = NotifySocket.status(of: ready) ?? ""
            #expect(readyStatus.hasPrefix("waiting for peer"), "STATUS with READY: '\(readyStatus)'")

            // The watchdog is petted about once a second (WatchdogSec/2 would be enough): >= 2 in 5 s.
            let window = notify.collect(for: 5)
            let pets = window.filter { NotifySocket.lines($0).contains("WATCHDOG=1") }.count
            #expect(pets >= 2, "only \(pets) WATCHDOG=1 in 5 s: \(window)")

            // Peer comes: STATUS says it is up, with the peer's address.
            let b = try seed.startPeer(
                .openvpn, side: .b, config: seed.config(side: .b, cipher: Self.cipher, keyPath: key, extra: extra))
            try seed.waitUp([a, b], timeout: 30)
            try seed.pingAcrossBothWays()
            guard let up = notify.waitFor(timeout: 15, { NotifySocket.status(of: $0)?.contains(" up") == true }) else {
                throw HarnessError("no STATUS with the peer up; got \(notify.messages.suffix(10))")
            }
            #expect(
                NotifySocket.status(of: up)?.hasPrefix("peer \(SeedLab.underlayB):1194 up") == true, "STATUS: \(up)")

            // Peer goes away silently: after ping-restart (4 s) STATUS no longer says it is up.
            #expect(b.stop(signal: SIGTERM, grace: 5), "openvpn B ignored SIGTERM")
            guard
                let lost = notify.waitFor(
                    timeout: 20, { NotifySocket.status(of: $0).map { !$0.contains(" up") } ?? false })
            else {
                throw HarnessError(
                    "STATUS still says the peer is up 20 s after it left; got \(notify.messages.suffix(10))\n"
                        + "log:\n\(a.log().tail(20))")
            }
            let lostStatus = NotifySocket.status(of: lost) ?? ""
            #expect(lostStatus.contains("peer lost"), "STATUS after the peer left: '\(lostStatus)'")
            #expect(lostStatus.contains("waiting for peer"), "STATUS after the peer left: '\(lostStatus)'")
            #expect(a.log().contains("Inactivity timeout (--ping-restart)"))
            #expect(a.isRunning, "swvpnd exited when the peer left")

            // Still alive: the watchdog keeps coming with no peer.
            let later = notify.collect(for: 5).filter { NotifySocket.lines($0).contains("WATCHDOG=1") }.count
            #expect(later >= 2, "only \(later) WATCHDOG=1 in 5 s after the peer left")

            // SIGTERM: STOPPING=1, exit 0.
            #expect(a.stop(signal: SIGTERM, grace: 10), "swvpnd ignored SIGTERM")
            #expect(a.process.terminationStatus == 0)
            #expect(
                notify.waitFor(timeout: 2, { NotifySocket.lines($0).contains("STOPPING=1") }) != nil
                    || notify.messages.contains { $0.contains("STOPPING=1") }, "no STOPPING=1 on SIGTERM")
            try LogScan.assertClean([a])
        }

        /// With route-delay the routes wait for the peer, so READY=1 must wait too.
        @Test
        func readyWaitsForRoutesDelayedUntilThePeerIsHeard() throws {
            let (lab, seed, key, notify) = try Self.prepare()
            defer { lab.teardown() }
            let a = try Self.startNotified(
                lab, seed, socket: notify,
                config: seed.config(side: .a, cipher: Self.cipher, keyPath: key, extra: ["route-delay 1"]))
            try a.waitForLog("Data Channel:", timeout: 20)

            let early = notify.collect(for: 4)
            #expect(
                !early.contains { NotifySocket.lines($0).contains("READY=1") },
                "READY=1 with routes still pending: \(early)")
            #expect(!(try Self.routes(seed.vpnA)).contains(Self.farVPC), "route installed before the peer was heard")

            let b = try seed.startPeer(
                .openvpn, side: .b, config: seed.config(side: .b, cipher: Self.cipher, keyPath: key))
            guard notify.waitFor(timeout: 30, { NotifySocket.lines($0).contains("READY=1") }) != nil else {
                throw HarnessError(
                    "no READY=1 after the peer came; got \(notify.messages.suffix(10))\nlog:\n\(a.log().tail(30))")
            }
            let routesAtReady = try Self.routes(seed.vpnA)
            #expect(
                routesAtReady.contains("\(Self.farVPC) via \(SeedLab.tunnelB)"),
                "READY=1 arrived before the delayed route:\n\(routesAtReady)")
            try seed.waitUp([a, b], timeout: 30)
            try seed.pingAcrossBothWays()
            try LogScan.assertClean([a, b])
        }

        /// SIGHUP under Type=notify-reload: RELOADING=1 with MONOTONIC_USEC, then READY=1 again only
        /// once the rebuilt tunnel has its route.
        @Test
        func sighupSendsReloadingThenReadyOnceTheTunnelIsBack() throws {
            let (lab, seed, key, notify) = try Self.prepare()
            defer { lab.teardown() }
            let a = try Self.startNotified(
                lab, seed, socket: notify, config: seed.config(side: .a, cipher: Self.cipher, keyPath: key))
            _ = try Self.await("READY=1", notify, a)
            // Signals are watched once set-up is done; the first WATCHDOG=1 comes after that.
            _ = try Self.await("WATCHDOG=1", notify, a, timeout: 10)
            kill(a.pid, SIGHUP)
            let reloading = try Self.await("RELOADING=1", notify, a)
            let usec = NotifySocket.lines(reloading).first { $0.hasPrefix("MONOTONIC_USEC=") }.flatMap {
                UInt64($0.dropFirst(15))
            }
            #expect(usec != nil && usec! > 0, "RELOADING=1 without MONOTONIC_USEC: '\(reloading)'")
            _ = try Self.await("READY=1", notify, a)
            #expect(
                try Self.routes(seed.vpnA).contains("\(Self.farVPC) via \(SeedLab.tunnelB)"), "READY=1 before the route"
            )
            #expect(a.log().contains("SIGHUP received: re-reading configuration"))
            #expect(a.isRunning, "swvpnd exited after SIGHUP")
            #expect(a.stop(signal: SIGTERM, grace: 10), "swvpnd ignored SIGTERM")
            #expect(a.process.terminationStatus == 0)
        }

        /// A port someone else holds: swvpnd tries 5 times, 5 s apart, then exits 1 naming the holder.
        @Test
        func busyPortIsRetriedThenFailsNamingTheHolder() throws {
            try Prerequisites.requireBase()
            let lab = try NetnsLab()
            defer { lab.teardown() }
            let seed = try SeedLab(lab: lab)
            let key = try seed.generateKey()
            let holder = try lab.spawn(
                in: seed.vpnA, label: "port-holder",
                [
                    "python3", "-c",
                    "import socket,time; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('0.0.0.0',1194)); print('bound',flush=True); time.sleep(120)",
                ])
            try holder.waitForLog("bound", timeout: 10)
            let notify = try NotifySocket(path: lab.path("notify.sock"))
            let a = try Self.startNotified(
                lab, seed, socket: notify, config: seed.config(side: .a, cipher: Self.cipher, keyPath: key))
            #expect(
                a.waitForExit(timeout: 60), "swvpnd still running 60 s after its port was busy:\n\(a.log().tail(20))")
            #expect(a.process.terminationStatus == 1, "exit status \(a.process.terminationStatus)")
            let log = a.log()
            #expect(log.components(separatedBy: "trying again in 5 s").count - 1 == 4, "retries:\n\(log.tail(20))")
            #expect(log.contains("Address already in use"), "\(log.tail(10))")
            #expect(log.contains("held by pid \(holder.pid) (python3)"), "\(log.tail(10))")
            #expect(log.contains("gave up after 5 tries"), "\(log.tail(10))")
            #expect(!notify.messages.contains { $0.contains("READY=1") }, "READY=1 without a socket")
            #expect(try seed.tunDevices(in: seed.vpnA).isEmpty, "a TUN device was left behind")
        }
    }
}
