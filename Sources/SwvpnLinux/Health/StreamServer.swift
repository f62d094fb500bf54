import CSwvpnLinux
import Dispatch
import Glibc
import Logging

/// A small bounded stream server (TCP or unix socket) on one serial queue, for the health,
/// management and control listeners. Everything about a connection is bounded: how many are
/// open, how long a request may take to arrive, how many bytes may wait unread or unsent.
/// A client that breaks a limit is closed and logged once with its address; the tunnel never
/// notices. Confined to `queue`.
final class StreamServer: @unchecked Sendable {
    struct Limits {
        var maxConnections: Int
        /// Seconds a connection may stay open with an incomplete request (reset by `Connection.satisfied()`).
        var requestSeconds: Int
        /// Bytes of input a connection may hold before the handler consumed them.
        var maxInputBytes: Int
        /// Bytes of output that may wait for a slow reader.
        var maxOutputBytes = 1 << 20
    }

    /// One client. Handlers read `input`, remove what they consumed, and `send`/`close`.
    final class Connection: @unchecked Sendable {
        let fd: Int32
        /// "127.0.0.1:40000" or "unix socket" (for log lines).
        let peer: String
        var input: [UInt8] = []
        fileprivate var output: [UInt8] = []
        fileprivate var readSource: (any DispatchSourceRead)?
        fileprivate var writeSource: (any DispatchSourceWrite)?
        fileprivate var deadline: (any DispatchSourceTimer)?
        fileprivate var closed = false
        fileprivate var closeAfterFlush = false
        fileprivate weak var server: StreamServer?
        /// Protocol state the handler keeps per connection.
        var context: AnyObject?

        fileprivate init(fd: Int32, peer: String) {
            self.fd = fd
            self.peer = peer
        }

        func send(_ text: String) { send(Array(text.utf8)) }

        func send(_ bytes: [UInt8]) {
            guard !closed else { return }
            output += bytes
            server?.flush(self)
        }

        /// Closes once everything sent so far is written.
        func finish() {
            closeAfterFlush = true
            server?.flush(self)
        }

        func close() { server?.drop(self) }

        /// The request arrived: the request deadline no longer applies (until `expectRequest()`).
        func satisfied() {
            deadline?.cancel()
            deadline = nil
        }

        /// Starts the request deadline again (a management client began a new line).
        func expectRequest() { server?.armDeadline(self) }
    }

    struct Handler {
        var opened: (Connection) -> Void
        /// New bytes were appended to `connection.input`.
        var received: (Connection) -> Void
        var timedOut: (Connection) -> Void = { $0.close() }
        var overflowed: (Connection) -> Void = { $0.close() }
    }

    let name: String
    let queue: DispatchQueue
    private let listenFD: Int32
    private let limits: Limits
    private let handler: Handler
    private let logger: Logger
    private var acceptSource: (any DispatchSourceRead)?
    private(set) var connections: [ObjectIdentifier: Connection] = [:]
    /// Unlinked on stop (unix sockets).
    private let socketPath: String?

    init(
        name: String, listenFD: Int32, socketPath: String? = nil, queue: DispatchQueue, limits: Limits,
        logger: Logger, handler: Handler
    ) {
        self.name = name
        self.listenFD = listenFD
        self.socketPath = socketPath
        self.queue = queue
        self.limits = limits
        self.logger = logger
        self.handler = handler
    }

    func start() {
        let source = DispatchSource.makeReadSource(fileDescriptor: listenFD, queue: queue)
        source.setEventHandler { [unowned self] in acceptAll() }
        source.setCancelHandler { [listenFD] in _ = Glibc.close(listenFD) }
        acceptSource = source
        source.resume()
    }

    /// Closes every connection and the listening socket. Call on `queue`.
    func stop() {
        for c in connections.values { drop(c) }
        acceptSource?.cancel()
        acceptSource = nil
        if let socketPath { unlink(socketPath) }
    }

    private func acceptAll() {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    swvpn_accept(listenFD, $0, &length)
                }
            }
            guard fd >= 0 else { return }  // EAGAIN, or a transient error: the next event retries
            let peer = SocketAddress(&storage).map { "\($0)" } ?? "unix socket"
            guard connections.count < limits.maxConnections else {
                _ = Glibc.close(fd)
                noteRefusal(peer)
                continue
            }
            open(Connection(fd: fd, peer: peer))
        }
    }

    /// A flood must not flood the log: the first refusal is logged, then one summary per 10 s.
    private var refusedSinceLog = 0
    private var lastRefusalLog: Int64 = -10

    private func noteRefusal(_ peer: String) {
        refusedSinceLog += 1
        let now = Clock.monotonicSeconds()
        guard now - lastRefusalLog >= 10 else { return }
        let count = refusedSinceLog == 1 ? "" : "\(refusedSinceLog) connections since the last report, latest "
        logger.warning("\(name): refusing \(count)\(peer): \(limits.maxConnections) connections already open")
        refusedSinceLog = 0
        lastRefusalLog = now
    }

    private func open(_ c: Connection) {
        c.server = self
        connections[ObjectIdentifier(c)] = c
        let source = DispatchSource.makeReadSource(fileDescriptor: c.fd, queue: queue)
        source.setEventHandler { [unowned self, unowned c] in readAvailable(c) }
        c.readSource = source
        armDeadline(c)
        source.resume()
        handler.opened(c)
    }

    fileprivate func armDeadline(_ c: Connection) {
        guard !c.closed, c.deadline == nil else { return }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .seconds(limits.requestSeconds))
        timer.setEventHandler { [unowned self, weak c] in
            guard let c, !c.closed else { return }
            logger.notice("\(name): \(c.peer): no complete request within \(limits.requestSeconds) s, closing")
            c.deadline = nil
            handler.timedOut(c)
        }
        c.deadline = timer
        timer.resume()
    }

    private func readAvailable(_ c: Connection) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(c.fd, $0.baseAddress, $0.count) }
        if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) {
            drop(c)
            return
        }
        guard n > 0, !c.closeAfterFlush else { return }  // answered: the rest is ignored
        c.input += buffer[0..<n]
        if c.input.count > limits.maxInputBytes {
            logger.notice(
                "\(name): \(c.peer): more than \(limits.maxInputBytes) bytes without a complete request, closing")
            handler.overflowed(c)
            if !c.closed && !c.closeAfterFlush { drop(c) }
            return
        }
        handler.received(c)
    }

    fileprivate func flush(_ c: Connection) {
        guard !c.closed else { return }
        while !c.output.isEmpty {
            let n = c.output.withUnsafeBytes {
                Glibc.send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if n > 0 {
                c.output.removeFirst(n)
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { break }
            drop(c)  // the client went away
            return
        }
        if c.output.isEmpty {
            c.writeSource?.cancel()
            c.writeSource = nil
            if c.closeAfterFlush { drop(c) }
            return
        }
        if c.output.count > limits.maxOutputBytes {
            logger.notice("\(name): \(c.peer): not reading its replies (\(c.output.count) bytes pending), closing")
            drop(c)
            return
        }
        if c.writeSource == nil {
            let source = DispatchSource.makeWriteSource(fileDescriptor: c.fd, queue: queue)
            source.setEventHandler { [unowned self, weak c] in if let c { flush(c) } }
            c.writeSource = source
            source.resume()
        }
    }

    fileprivate func drop(_ c: Connection) {
        guard !c.closed else { return }
        c.closed = true
        c.deadline?.cancel()
        c.deadline = nil
        c.writeSource?.cancel()
        c.writeSource = nil
        // The fd is closed once Dispatch no longer watches it.
        if let source = c.readSource {
            source.setCancelHandler { [fd = c.fd] in _ = Glibc.close(fd) }
            source.cancel()
        } else {
            _ = Glibc.close(c.fd)
        }
        c.readSource = nil
        c.context = nil
        connections[ObjectIdentifier(c)] = nil
    }

    // MARK: Listening sockets

    /// A TCP listener on `host:port` (a numeric address).
    static func listenTCP(host: String, port: UInt16) throws(SystemError) -> Int32 {
        guard let address = SocketAddress(ip: host == "localhost" ? "127.0.0.1" : host, port: port) else {
            throw SystemError(errno: EINVAL, syscall: "listen \(host):\(port) (not a numeric address)")
        }
        let socket = try TCPSocket.listen(on: address, backlog: 64)
        return socket.releaseFD().release()
    }

    /// A unix stream socket at `path` (a stale one is replaced), with `mode`.
    static func listenUnix(path: String, mode: mode_t) throws(SystemError) -> Int32 {
        let fd = Glibc.socket(
            AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError(errno: errno, syscall: "socket(AF_UNIX)") }
        var address: sockaddr_un
        do throws(SystemError) {
            address = try UnixSocketAddress.make(path)
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
        unlink(path)
        // The socket is created with mode `mode` already (umask), so no one can connect in between.
        let old = umask(~mode & 0o777)
        let bound = UnixSocketAddress.with(&address) { bind(fd, $0, $1) }
        let bindErrno = errno
        umask(old)
        guard bound == 0 else {
            _ = Glibc.close(fd)
            throw SystemError(errno: bindErrno, syscall: "bind \(path)")
        }
        chmod(path, mode)
        guard Glibc.listen(fd, 64) == 0 else {
            let e = errno
            _ = Glibc.close(fd)
            throw SystemError(errno: e, syscall: "listen \(path)")
        }
        return fd
    }
}
