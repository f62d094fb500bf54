import Dispatch
import Glibc
import SwvpnLinux
import Synchronization
import Testing

/// A unix datagram socket owned by the test, standing in for systemd's notify socket.
private final class NotifyListener {
    let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(fd >= 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + (abstract ? 0 : 1))
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        try #require(rc == 0, "bind \(path): errno \(errno)")
    }

    deinit { close(fd) }

    func receive() throws -> String {
        try #require(waitReadable(fd), "no notification arrived")
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        try #require(count >= 0)
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }
}

@Suite struct ServiceTests {
    @Test func notifiesReadyStatusWatchdogAndStoppingOnPathSocket() throws {
        let path = "/tmp/swvpn-notify-test-\(getpid()).sock"
        unlink(path)
        defer { unlink(path) }
        let listener = try NotifyListener(path: path)
        let notifier = SystemdNotifier(socketPath: path)
        try notifier.ready(status: "tun0 up, peer 169.254.255.2")
        #expect(try listener.receive() == "READY=1\nSTATUS=tun0 up, peer 169.254.255.2")
        try notifier.watchdog()
        #expect(try listener.receive() == "WATCHDOG=1")
        try notifier.stopping()
        #expect(try listener.receive() == "STOPPING=1")
    }

    @Test func notifiesAbstractSocket() throws {
        let name = "@swvpn-notify-test-\(getpid())"
        let listener = try NotifyListener(path: name)
        try SystemdNotifier(socketPath: name).status("hello")
        #expect(try listener.receive() == "STATUS=hello")
    }

    @Test func notifyToMissingSocketNamesThePath() {
        let error = #expect(throws: SystemError.self) {
            try SystemdNotifier(socketPath: "/tmp/swvpn-no-such-notify-socket").ready()
        }
        #expect(error?.errno == ENOENT)
        #expect(error?.description.contains("/tmp/swvpn-no-such-notify-socket") == true)
    }

    @Test func readsIPForwardingFlag() throws {
        let path = "/tmp/swvpn-ip-forward-test-\(getpid())"
        defer { unlink(path) }
        for (content, expected) in [("1\n", true), ("0\n", false)] {
            let file = fopen(path, "w")
            fputs(content, file)
            fclose(file)
            #expect(try IPForwarding.isEnabled(path: path) == expected)
        }
        _ = try IPForwarding.isEnabled()  // the real /proc file is readable
        #expect(throws: SystemError.self) { try IPForwarding.isEnabled(path: "/tmp/swvpn-missing-\(getpid())") }
    }

    @Test func deliversSignalsOnItsQueue() throws {
        let seen = Mutex<[ProcessSignal]>([])
        let semaphore = DispatchSemaphore(value: 0)
        let watcher = SignalWatcher([.user2], queue: DispatchQueue(label: "signals")) { signal in
            seen.withLock { $0.append(signal) }
            semaphore.signal()
        }
        defer { watcher.cancel() }
        kill(getpid(), SIGUSR2)  // ignored by default action now, so the test process survives
        try #require(semaphore.wait(timeout: .now() + 10) == .success, "SIGUSR2 was not delivered")
        #expect(seen.withLock { $0 } == [.user2])
    }

    @Test func tcpConnectsAcceptsAndMovesBytesOnLoopback() throws {
        try inPrivateNetworkNamespace {
            try Netlink().setLink(ifindex: 1, up: true)
            let listener = try TCPSocket.listen(on: .loopback(.inet6))
            let client = try TCPSocket.connect(to: try listener.localAddress())
            try #require(waitReadable(listener.fd), "no connection to accept")
            guard case .processed(let (server, peer)) = try listener.accept() else {
                Issue.record("accept would block")
                return
            }
            try client.finishConnect()
            try client.setNoDelay()
            #expect(peer == (try client.localAddress()))
            let message = Array("\u{0}\u{4}ping".utf8)
            #expect(try message.withUnsafeBytes { try client.write($0) } == .processed(message.count))
            try #require(waitReadable(server.fd))
            var buffer = [UInt8](repeating: 0, count: 64)
            let result = try buffer.withUnsafeMutableBytes { try server.read(into: $0) }
            #expect(result == .processed(message.count))
            #expect(Array(buffer[0..<message.count]) == message)

            // Connecting to a closed port reports the refusal through finishConnect().
            let refused = try TCPSocket.connect(to: .loopback(.inet, port: 9))
            var entry = pollfd(fd: refused.fd, events: Int16(POLLOUT), revents: 0)
            #expect(poll(&entry, 1, 5000) == 1)
            #expect(throws: SystemError(errno: ECONNREFUSED, syscall: "connect")) { try refused.finishConnect() }
        }
    }
}
