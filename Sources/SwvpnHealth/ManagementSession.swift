/// One client of the OpenVPN management interface: lines in, reply lines and actions out.
///
/// The subset monitoring tools use, with openvpn 2.6's exact replies (`SUCCESS: ...`,
/// `ERROR: ...`, multi-line answers ending in `END`, real-time `>STATE:`, `>LOG:` and
/// `>BYTECOUNT:` notifications). Lines are sent with CRLF, as openvpn does; the I/O layer adds it.
public struct ManagementSession: Sendable {
    /// What the daemon around the session must do after a command.
    public enum Action: Sendable, Equatable {
        /// `signal SIGHUP|SIGTERM|SIGUSR1|SIGUSR2|SIGINT`: raise it in the daemon.
        case signal(String)
        /// `quit`/`exit`, or too many bad passwords.
        case close
    }

    /// What the session reads about the daemon when a command needs it.
    public struct Context: Sendable {
        public var snapshot: TunnelSnapshot
        /// `YYYY-MM-DD hh:mm:ss` in local time (the `Updated,` line of `status`).
        public var localTime: String
        public var states: BoundedHistory<ManagementStateEntry>
        public var logs: BoundedHistory<ManagementLogEntry>

        public init(
            snapshot: TunnelSnapshot, localTime: String, states: BoundedHistory<ManagementStateEntry>,
            logs: BoundedHistory<ManagementLogEntry>
        ) {
            self.snapshot = snapshot
            self.localTime = localTime
            self.states = states
            self.logs = logs
        }
    }

    public static let managementVersion = 5
    public static let passwordRetries = 3

    private let password: [UInt8]?
    private var passwordVerified = false
    private var passwordTries = 0
    public private(set) var stateRealtime = false
    public private(set) var logRealtime = false
    /// `bytecount n`: seconds between `>BYTECOUNT:` lines, 0 when off.
    public private(set) var bytecountSeconds = 0
    private var holdFlag = false
    private let title: String

    /// `title` follows "OpenVPN Version: " (e.g. "swvpnd 0.1.0 x86_64-pc-linux-gnu ...").
    public init(title: String, password: String?) {
        self.title = title
        self.password = password.map { Array($0.utf8) }
    }

    /// Sent once on connect. With a password: the prompt, without a line end (as openvpn).
    public var greeting: [String] {
        password != nil && !passwordVerified ? [] : [Self.welcome]
    }
    public var prompt: String? { password != nil && !passwordVerified ? "ENTER PASSWORD:" : nil }

    static let welcome = ">INFO:OpenVPN Management Interface Version \(managementVersion) -- type 'help' for more info"

    public var authenticated: Bool { password == nil || passwordVerified }

    /// Handles one line (without its line end).
    public mutating func handle(line: String, context: Context) -> (lines: [String], actions: [Action]) {
        if !authenticated { return checkPassword(line) }
        let p = Self.tokenize(line)
        guard let command = p.first else { return ([], []) }
        func need(_ n: Int, atLeast: Bool = false) -> String? {
            p.count > n
                ? nil
                : "ERROR: the '\(command)' command requires \(atLeast ? "at least " : "")\(n) parameter\(n > 1 ? "s" : "")"
        }
        switch command {
        case "exit", "quit":
            return ([], [.close])
        case "help":
            return (Self.help(title), [])
        case "version":
            if p.count > 1 { return ([], []) }  // the client announces its version: no reply
            return (["OpenVPN Version: \(title)", "Management Version: \(Self.managementVersion)", "END"], [])
        case "pid":
            return (["SUCCESS: pid=\(context.snapshot.pid)"], [])
        case "state":
            if p.count == 1 { return (history("state", "1", context.states.entries.map(\.line)).lines, []) }
            return (p[1...].prefix(2).flatMap { history("state", $0, context.states.entries.map(\.line)).lines }, [])
        case "log":
            if let e = need(1, atLeast: true) { return ([e], []) }
            return (p[1...].prefix(2).flatMap { history("log", $0, context.logs.entries.map(\.line)).lines }, [])
        case "status":
            return (statusLines(context), [])
        case "bytecount":
            if let e = need(1) { return ([e], []) }
            bytecountSeconds = max(0, Self.atoi(p[1]))
            return (["SUCCESS: bytecount interval changed"], [])
        case "signal":
            if let e = need(1) { return ([e], []) }
            guard ["SIGINT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2"].contains(p[1]) else {
                return (["ERROR: signal '\(Self.oneLine(p[1]))' is not a known signal type"], [])
            }
            return (["SUCCESS: signal \(p[1]) thrown"], [.signal(p[1])])
        case "hold":
            guard p.count > 1 else { return (["SUCCESS: hold=\(holdFlag ? 1 : 0)"], []) }
            switch p[1] {
            case "on":
                holdFlag = true
                return (["SUCCESS: hold flag set to ON"], [])
            case "off":
                holdFlag = false
                return (["SUCCESS: hold flag set to OFF"], [])
            case "release": return (["SUCCESS: hold release succeeded"], [])
            default: return (["ERROR: bad hold command parameter"], [])
            }
        case "load-stats":
            let t = context.snapshot.traffic
            return (["SUCCESS: nclients=0,bytesin=\(t.linkReadBytes),bytesout=\(t.linkWriteBytes)"], [])
        default:
            return (["ERROR: unknown command, enter 'help' for more options"], [])
        }
    }

    /// openvpn's `print_status` for point-to-point mode (the version argument changes nothing there).
    func statusLines(_ context: Context) -> [String] {
        let t = context.snapshot.traffic
        return [
            "OpenVPN STATISTICS",
            "Updated,\(context.localTime)",
            "TUN/TAP read bytes,\(t.tunReadBytes)",
            "TUN/TAP write bytes,\(t.tunWriteBytes)",
            "TCP/UDP read bytes,\(t.linkReadBytes)",
            "TCP/UDP write bytes,\(t.linkWriteBytes)",
            "Auth read bytes,\(t.authReadBytes)",
            "END",
        ]
    }

    /// `state`/`log` parameters: on, off, N or all (openvpn's `man_history`).
    mutating func history(_ type: String, _ parm: String, _ lines: [String]) -> (lines: [String], actions: [Action]) {
        switch parm {
        case "on":
            if type == "state" { stateRealtime = true } else { logRealtime = true }
            return (["SUCCESS: real-time \(type) notification set to ON"], [])
        case "off":
            if type == "state" { stateRealtime = false } else { logRealtime = false }
            return (["SUCCESS: real-time \(type) notification set to OFF"], [])
        default:
            let n = Self.atoi(parm)
            guard parm == "all" || n > 0 else {
                return (["ERROR: \(type) parameter must be 'on' or 'off' or some number n or 'all'"], [])
            }
            return (Array(parm == "all" ? lines[...] : lines.suffix(n)) + ["END"], [])
        }
    }

    private mutating func checkPassword(_ line: String) -> (lines: [String], actions: [Action]) {
        guard let password else { return ([], []) }
        if Self.constantTimeEqual(Array(line.utf8), password) {
            passwordVerified = true
            return (["SUCCESS: password is correct", Self.welcome], [])
        }
        passwordTries += 1
        if passwordTries >= Self.passwordRetries { return (["ERROR: bad password"], [.close]) }
        return (["ERROR: bad password"], [])
    }

    // MARK: Real-time notifications

    /// `>STATE:` for a new state entry, when the client asked for them.
    public func notification(state entry: ManagementStateEntry) -> String? {
        stateRealtime && authenticated ? ">STATE:" + entry.line : nil
    }

    public func notification(log entry: ManagementLogEntry) -> String? {
        logRealtime && authenticated ? ">LOG:" + entry.line : nil
    }

    /// `>BYTECOUNT:in,out` (link bytes, as openvpn's client mode counts them).
    public func bytecount(_ snapshot: TunnelSnapshot) -> String {
        ">BYTECOUNT:\(snapshot.traffic.linkReadBytes),\(snapshot.traffic.linkWriteBytes)"
    }

    // MARK: Helpers

    /// Whitespace-separated words; double quotes group, backslash escapes (openvpn's `parse_line`).
    public static func tokenize(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quoted = false
        var escape = false
        for c in line {
            if escape {
                current.append(c)
                escape = false
                continue
            }
            if c == "\\" {
                escape = true
                inWord = true
                continue
            }
            if c == "\"" {
                quoted.toggle()
                inWord = true
                continue
            }
            if !quoted && (c == " " || c == "\t") {
                if inWord { words.append(current) }
                current = ""
                inWord = false
                continue
            }
            current.append(c)
            inWord = true
        }
        if inWord { words.append(current) }
        return words
    }

    /// C's `atoi`: leading digits, 0 when none.
    static func atoi(_ s: String) -> Int {
        var n = 0
        var sign = 1
        var chars = Substring(s)
        if chars.first == "-" {
            sign = -1
            chars = chars.dropFirst()
        } else if chars.first == "+" {
            chars = chars.dropFirst()
        }
        for c in chars {
            guard let d = c.wholeNumberValue, c.isASCII else { break }
            n = n &* 10 &+ d
            if n > Int(Int32.max) { return Int(Int32.max) * sign }
        }
        return n * sign
    }

    /// Text echoed into a reply cannot start a new line or notification.
    static func oneLine(_ s: String) -> String {
        String(s.map { $0 == "\r" || $0 == "\n" ? " " : $0 })
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return diff == 0
    }

    static func help(_ title: String) -> [String] {
        [
            "Management Interface for \(title)",
            "Commands:",
            "bytecount n            : Show bytes in/out, update every n secs (0=off).",
            "exit|quit              : Close management session.",
            "help                   : Print this message.",
            "hold [on|off|release]  : Set/show hold flag to on/off state, or",
            "                         release current hold and start tunnel.",
            "load-stats             : Show global server load stats.",
            "log [on|off] [N|all]   : Turn on/off realtime log display",
            "                         + show last N lines or 'all' for entire history.",
            "pid                    : Show process ID of the current OpenVPN process.",
            "signal s               : Send signal s to daemon,",
            "                         s = SIGHUP|SIGTERM|SIGUSR1|SIGUSR2.",
            "state [on|off] [N|all] : Like log, but show state history.",
            "status [n]             : Show current daemon status info using format #n.",
            "version [n]            : Set client's version to n or show current version of daemon.",
            "END",
        ]
    }
}
