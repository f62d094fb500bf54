import CSwvpnLinux
import Dispatch
import Glibc
import SwvpnConfig
import SwvpnHealth

/// The OpenVPN management interface (`management ...`): one `ManagementSession` per client.
extension HealthService {
    /// A line longer than this is not a command; a started line must end within `lineSeconds`.
    static let maxLineBytes = 1024
    static let lineSeconds = 10
    static let maxManagementClients = 4

    final class ManagementClient {
        var session: ManagementSession
        var lastBytecount: Int64 = 0
        init(session: ManagementSession) { self.session = session }
    }

    func startManagement(_ management: HealthSettings.Management) throws(SetupError) {
        if let file = management.passwordFile {
            guard let text = try? PosixFileSystem().read(file),
                let line = String(decoding: text, as: UTF8.self)
                    .split(separator: "\n", omittingEmptySubsequences: false).first
            else { throw .monitoring("management: cannot read password file \(file)") }
            managementPassword = String(line.hasSuffix("\r") ? line.dropLast() : line)
        }
        let fd: Int32
        var path: String?
        do throws(SystemError) {
            switch management.endpoint {
            case .tcp(let a):
                fd = try StreamServer.listenTCP(host: a.host, port: a.port)
                logger.notice("MANAGEMENT: TCP Socket listening on [AF_INET]\(a.host):\(a.port)")
            case .unix(let p):
                // openvpn leaves access to the socket's mode and the client-user/group check.
                fd = try StreamServer.listenUnix(path: p, mode: 0o660)
                path = p
                logger.notice("MANAGEMENT: unix domain socket listening on \(p)")
            }
        } catch {
            throw .monitoring("management: \(error)")
        }
        let server = StreamServer(
            name: "management", listenFD: fd, socketPath: path, queue: queue,
            limits: .init(
                maxConnections: Self.maxManagementClients, requestSeconds: Self.lineSeconds,
                maxInputBytes: Self.maxLineBytes),
            logger: logger,
            handler: .init(
                opened: { [unowned self] c in managementOpened(c, unix: path != nil) },
                received: { [unowned self] c in managementReceived(c) },
                overflowed: { c in
                    c.send("ERROR: command too long\r\n")
                    c.finish()
                }))
        servers(append: server)
        managementServer = server
        logTap?.onAppend { [unowned self] entry in
            queue.async { [unowned self] in broadcast { $0.session.notification(log: entry) } }
        }
    }

    private func managementOpened(_ c: StreamServer.Connection, unix: Bool) {
        if unix, !peerAllowed(c) {
            logger.warning("MANAGEMENT: UNIX domain socket client uid/gid rejected")
            c.close()
            return
        }
        logger.info("MANAGEMENT: Client connected from \(unix ? "unix socket" : c.peer)")
        let client = ManagementClient(session: ManagementSession(title: title, password: managementPassword))
        c.context = client
        for line in client.session.greeting { c.send(line + "\r\n") }
        if let prompt = client.session.prompt { c.send(prompt) }
        c.satisfied()  // idle between commands is fine; a started line has `lineSeconds`
    }

    private func managementReceived(_ c: StreamServer.Connection) {
        guard let client = c.context as? ManagementClient else { return }
        var completed = false
        while let newline = c.input.firstIndex(of: 0x0A) {
            completed = true
            var line = c.input[..<newline]
            if line.last == 0x0D { line = line.dropLast() }
            c.input.removeSubrange(...newline)
            let text = String(decoding: line, as: UTF8.self)
            let context = ManagementSession.Context(
                snapshot: snapshot(), localTime: LogSink.timestamp(), states: stateLog.history,
                logs: logTap?.entries ?? BoundedHistory())
            let (lines, actions) = client.session.handle(line: text, context: context)
            for l in lines { c.send(l + "\r\n") }
            if let prompt = client.session.prompt { c.send(prompt) }
            for action in actions {
                switch action {
                case .close:
                    c.finish()
                    return
                case .signal(let name):
                    logger.notice("MANAGEMENT: signal \(name) from a management client")
                    raise(name)
                }
            }
        }
        // The clock runs from a line's first byte to its end, however slowly the bytes come.
        if completed { c.satisfied() }
        if !c.input.isEmpty { c.expectRequest() }
    }

    /// A state history entry for each step, and `>STATE:` to every client that asked (`state on`).
    func publish(_ event: ManagementStateLog.Event) {
        for entry in stateLog.record(event) { broadcast { $0.session.notification(state: entry) } }
    }

    /// Every second: `bytecount n` clients get `>BYTECOUNT:` when theirs is due.
    func managementTick() {
        let now = Clock.monotonicSeconds()
        var current: TunnelSnapshot?  // taken once, only when some client is due
        for c in managementServer?.connections.values ?? [:].values {
            guard let client = c.context as? ManagementClient, client.session.authenticated,
                client.session.bytecountSeconds > 0,
                now - client.lastBytecount >= Int64(client.session.bytecountSeconds)
            else { continue }
            client.lastBytecount = now
            let s = current ?? snapshot()
            current = s
            c.send(client.session.bytecount(s) + "\r\n")
        }
    }

    private func broadcast(_ line: (ManagementClient) -> String?) {
        for c in managementServer?.connections.values ?? [:].values {
            if let client = c.context as? ManagementClient, let text = line(client) { c.send(text + "\r\n") }
        }
    }

    /// `management-client-user/group` (openvpn checks the connecting process's uid/gid the same way).
    private func peerAllowed(_ c: StreamServer.Connection) -> Bool {
        guard settings.managementClientUser != nil || settings.managementClientGroup != nil else { return true }
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        guard swvpn_peer_credentials(c.fd, &uid, &gid) == 0 else { return false }
        if let user = settings.managementClientUser {
            guard let pw = getpwnam(user), pw.pointee.pw_uid == uid else { return false }
        }
        if let group = settings.managementClientGroup {
            guard let gr = getgrnam(group), gr.pointee.gr_gid == gid else { return false }
        }
        return true
    }
}
