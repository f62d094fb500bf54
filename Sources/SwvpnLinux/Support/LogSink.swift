import CSwvpnLinux
import Glibc
import Logging
import Synchronization

/// Where log lines go: stderr (the journal under systemd), a `log`/`log-append` file, or syslog (`syslog`).
///
/// One sink per process, shared by every `Logger` through `SinkLogHandler`. Each line is written with a
/// single write(2), so lines from the packet queues and the control queue never interleave.
package final class LogSink: Sendable {
    package enum Style: Sendable {
        /// `2026-11-29 15:36:48 message`, like openvpn.
        case timestamps
        /// Bare lines (`suppress-timestamps`).
        case plain
        /// Bare lines with sd-daemon(3) `<N>` priority prefixes; journald turns them into priorities.
        case journal
        /// syslog(3), facility daemon, with openvpn's priorities (error, warning, else notice).
        case syslog
    }

    private struct State {
        var fd: Int32
        var ownsFD: Bool
        /// `mute`: the category of the last message, how many in a row, how many were suppressed.
        var lastCategory: Substring = ""
        var repeats = 0
        var suppressed = 0
    }

    /// OpenVPN `mute n`: at most n consecutive messages of one kind (0 = no limit). A kind is the
    /// message's leading text up to its first digit or quote, so "dropped 12 packets" and
    /// "dropped 40 packets" are one kind.
    package var mute: Int {
        get { muteLimit.withLock { $0 } }
        set { muteLimit.withLock { $0 = newValue } }
    }
    private let muteLimit = Mutex(0)

    private let state: Mutex<State>
    package let style: Style

    /// Logs to stderr. `suppressTimestamps` or a journal on stderr drop the timestamps.
    package init(stderrStyle style: Style) {
        self.state = Mutex(State(fd: 2, ownsFD: false))
        self.style = style
    }

    /// Logs to a file, appending or truncating (`log` vs `log-append`).
    package init(path: String, append: Bool, style: Style) throws(SystemError) {
        let flags = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
        let fd = PosixFileSystem.openForWriting(path, flags: flags, mode: 0o640)
        guard fd >= 0 else { throw SystemError(errno: errno, syscall: "open(\(path))") }
        if !append { _ = lseek(fd, 0, SEEK_END) }
        self.state = Mutex(State(fd: fd, ownsFD: true))
        self.style = style == .journal ? .timestamps : style
    }

    /// Logs to syslog as `ident[pid]`. The connection is made now (LOG_NDELAY), so it survives a `chroot`.
    package init(syslogIdent ident: String) {
        let daemonFacility: Int32 = 3 << 3  // LOG_DAEMON, as openvpn's LOG_OPENVPN
        openlog(strdup(ident), LOG_PID | LOG_NDELAY, daemonFacility)  // openlog keeps the pointer: never freed
        self.state = Mutex(State(fd: -1, ownsFD: false))
        self.style = .syslog
    }

    deinit {
        state.withLock { if $0.ownsFD { _ = close($0.fd) } }
    }

    /// Picks the stderr style the way systemd users expect: no timestamps when journald reads stderr.
    /// `suppress-timestamps` acts as in openvpn, on stderr and on `log`/`log-append` files alike; the unit
    /// does not pass it, so a tunnel's log file keeps its timestamps while the journal adds its own.
    package static func defaultStderrStyle(suppressTimestamps: Bool) -> Style {
        if stderrIsJournal() { return .journal }
        return suppressTimestamps ? .plain : .timestamps
    }

    /// systemd.exec(5): JOURNAL_STREAM is `DEVICE:INODE` of the journal stream; a child that inherited the
    /// variable but writes its stderr elsewhere (a shell redirect, a pipe) must keep its timestamps.
    static func stderrIsJournal() -> Bool {
        guard let value = getenv("JOURNAL_STREAM") else { return false }
        let parts = String(cString: value).split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var st = stat()
        guard fstat(2, &st) == 0 else { return false }
        return UInt64(st.st_dev) == device && UInt64(st.st_ino) == inode
    }

    package func write(level: Logger.Level, _ message: String) {
        var line: String
        switch style {
        case .plain: line = message
        case .journal: line = "<\(Self.syslogPriority(level))>" + message
        case .timestamps: line = Self.timestamp() + " " + message
        case .syslog: line = message
        }
        if style != .syslog { line += "\n" }
        let limit = mute
        state.withLock { s in
            if limit > 0 {
                let category = message.prefix { !$0.isNumber && $0 != "'" && $0 != "\"" }
                if category == s.lastCategory {
                    s.repeats += 1
                    if s.repeats > limit {
                        s.suppressed += 1
                        return
                    }
                } else {
                    if s.suppressed > 0 {
                        let note = "[\(s.suppressed) variation(s) on previous \(limit) message(s) suppressed by --mute]"
                        if style == .syslog {
                            swvpn_syslog(LOG_NOTICE, note)
                        } else {
                            Self.writeAll(s.fd, note + "\n")
                        }
                    }
                    s.lastCategory = category
                    s.repeats = 1
                    s.suppressed = 0
                }
            }
            if style == .syslog {
                swvpn_syslog(Self.openVPNSyslogPriority(level), line)
            } else {
                Self.writeAll(s.fd, line)
            }
        }
    }

    private static func writeAll(_ fd: Int32, _ text: String) {
        var utf8 = text
        utf8.withUTF8 { buf in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 { if errno == EINTR { continue } else { return } }
                off += n
            }
        }
    }

    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .critical: 2
        case .error: 3
        case .warning: 4
        case .notice: 5
        case .info: 6
        case .debug, .trace: 7
        }
    }

    /// openvpn's syslog priorities (error.c): errors LOG_ERR, warnings LOG_WARNING, everything else LOG_NOTICE.
    static func openVPNSyslogPriority(_ level: Logger.Level) -> Int32 {
        switch level {
        case .critical, .error: LOG_ERR
        case .warning: LOG_WARNING
        default: LOG_NOTICE
        }
    }

    /// Local time as `YYYY-MM-DD HH:MM:SS`, openvpn's log and status format.
    package static func timestamp(_ t: time_t = time(nil)) -> String {
        var now = t
        var tmv = tm()
        localtime_r(&now, &tmv)
        func pad(_ v: Int32, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(pad(tmv.tm_year + 1900, 4))-\(pad(tmv.tm_mon + 1, 2))-\(pad(tmv.tm_mday, 2)) "
            + "\(pad(tmv.tm_hour, 2)):\(pad(tmv.tm_min, 2)):\(pad(tmv.tm_sec, 2))"
    }
}

/// swift-log handler that formats `message key=value ...` and hands it to the shared `LogSink`.
package struct SinkLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?
    package var logLevel: Logger.Level
    private let sink: LogSink

    package init(sink: LogSink, level: Logger.Level) {
        self.sink = sink
        self.logLevel = level
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var text = event.message.description
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        if !merged.isEmpty {
            text += " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        sink.write(level: event.level, text)
    }

    /// OpenVPN's `verb` to a swift-log level: 0 fatal only, 1–2 lifecycle and warnings (openvpn's default 1
    /// still prints start-up and peer messages), 3–4 informational, 5–6 debug, 7+ trace (OCC strings, pings).
    package static func level(forVerb verb: Int) -> Logger.Level {
        switch verb {
        case ..<1: .error
        case 1...2: .notice
        case 3...4: .info
        case 5...6: .debug
        default: .trace
        }
    }
}
