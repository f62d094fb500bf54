import ArgumentParser
import Glibc
import Logging
import SwvpnConfig
import SwvpnCrypto
import SwvpnLinux
import SwvpnProtocol

/// `swvpnd`: argv in, one of three jobs out (run a tunnel, check a config, make a key).
/// Everything else lives in the libraries; this file only wires them together.
@main
struct Swvpnd: ParsableCommand {
    static let version = swvpndVersion

    static let configuration = CommandConfiguration(
        commandName: "swvpnd",
        abstract: "OpenVPN static-key point-to-point tunnels, compatible with openvpn 2.6.",
        usage: """
            swvpnd --config FILE [--DIRECTIVE [ARGS...]]...
              swvpnd --check-config --config FILE
              swvpnd --genkey [secret] [--secret FILE | FILE]
              swvpnd --test-crypto --config FILE
              swvpnd --show-ciphers | --show-digests [--providers NAME...]
              swvpnd status [NAME...] [--json]
            """,
        discussion: DirectiveHelp.text,
        version: version
    )

    /// `swvpnd status ...` is a command of its own; everything else is openvpn-style directives.
    static func main() {
        ResidentMemory.useOneMallocArena()  // before any thread exists
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "status" {
            StatusCommand.main(Array(arguments.dropFirst()))
        } else {
            main(arguments)
        }
    }

    @Flag(name: .customLong("genkey"), help: "Write a new 256-byte static key (to FILE or stdout), mode 0600.")
    var generateKey = false

    @Flag(
        name: [.customLong("check-config"), .customLong("test-config")],
        help: "Validate the config and the key without touching the network, then exit.")
    var checkConfig = false

    @Flag(
        name: .customLong("show-ciphers"),
        help: "List the ciphers static-key mode can use here (with the loaded OpenSSL providers).")
    var showCiphers = false

    @Flag(name: .customLong("show-digests"), help: "List the HMAC digests static-key mode can use here.")
    var showDigests = false

    @Flag(
        name: .customLong("test-crypto"),
        help: "Loopback self-test of the config's cipher and auth: seal and open every packet size, exit 0 on success.")
    var testCrypto = false

    @Argument(parsing: .allUnrecognized, help: .hidden)
    var directives: [String] = []

    mutating func run() throws {
        if generateKey {
            try KeyGeneration.run(arguments: directives)
            return
        }
        if showCiphers { return try CryptoActions.showCiphers(arguments: directives) }
        if showDigests { return try CryptoActions.showDigests(arguments: directives) }
        if testCrypto { return try CryptoActions.testCrypto(arguments: directives) }
        guard !directives.isEmpty else {
            throw ValidationError("nothing to do: give --config FILE (see --help)")
        }
        // Before any key byte is read: no core dump may hold one (see ProcessHardening).
        try? ProcessHardening.disableCoreDumps()
        let (config, key) = try Loading.load(arguments: directives)
        if checkConfig {
            Loading.printCheck(config)
            return
        }
        let arguments = directives
        let logTap = config.health.management != nil ? LogTap() : nil
        let logger = Logging.makeLogger(config, tap: logTap)
        for warning in config.warnings { logger.warning("\(warning)") }
        ProcessSettings.apply(config.compat, logger: logger)
        logger.notice("swvpnd \(Self.version) starting: \(config.sourceName)")
        let controller = TunnelController(
            config: config, key: key, logger: logger, notifier: SystemdNotifier.fromEnvironment(),
            reload: { () throws(SetupError) in
                do {
                    return try Loading.load(arguments: arguments)
                } catch {
                    throw .config("\(error)")
                }
            })
        controller.logTap = logTap
        controller.run()
    }
}

/// Reads config and key through the real file system and reports errors with file and line.
enum Loading {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func load(arguments: [String]) throws(Failure) -> (TunnelConfig, StaticKey) {
        let fs = PosixFileSystem()
        var config: TunnelConfig
        do throws(ConfigError) {
            config = try TunnelConfig.load(arguments: arguments, fileSystem: fs)
        } catch {
            throw Failure(description: "\(error)")
        }
        let key: StaticKey
        do {
            switch config.keySource {
            case .file(let path, _, let location):
                var bytes: [UInt8]
                let mode: mode_t
                do { (bytes, mode) = try fs.readWithMode(path) } catch {
                    throw Failure(description: "\(location): secret: cannot read key file '\(path)': \(error)")
                }
                defer { SecureMemory.wipe(&bytes) }
                key = try StaticKey.parse(bytes, source: path)
                if mode & 0o077 != 0 {  // as openvpn warns
                    config.warnings.append(
                        ConfigDiagnostic(
                            location, directive: "secret",
                            "key file '\(path)' is accessible by group or others (mode \(String(mode, radix: 8))): chmod 600 '\(path)'"
                        ))
                }
            case .inline(let block, let location):
                // Parsed in place, then the block's buffer is wiped: no copy of the key text stays in the config.
                defer { block.wipe() }
                key = try block.withBytes { (text) throws(KeyFileError) in
                    try StaticKey.parse(text, source: location.source, firstLine: location.line ?? 1)
                }
            }
            try key.validate(for: config.cipher, source: config.sourceName)
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(description: "\(error)")
        }
        return (config, key)
    }

    static func printCheck(_ config: TunnelConfig) {
        for warning in config.warnings { print("warning: \(warning)") }
        let remote = config.remotes.first.map { "\($0.host):\($0.port)" } ?? "(listening)"
        print(
            "\(config.sourceName): OK — \(config.transport) port \(config.localPort), remote \(remote), "
                + "cipher \(config.cipher), auth \(config.digest), \(config.routes.count) route(s)")
    }
}

enum Logging {
    static func makeLogger(_ config: TunnelConfig, tap: LogTap? = nil) -> Logger {
        let sink: LogSink
        if let file = config.log {
            do {
                sink = try LogSink(
                    path: file.path, append: file.append,
                    style: config.suppressTimestamps ? .plain : .timestamps)
            } catch {
                FileHandleStderr.write("swvpnd: cannot open log file \(file.path): \(error)\n")
                exit(1)
            }
        } else if config.host.syslog {  // as openvpn: a log file wins over syslog
            sink = LogSink(syslogIdent: config.host.syslogName ?? config.daemonName ?? "swvpnd")
        } else {
            sink = LogSink(stderrStyle: LogSink.defaultStderrStyle(suppressTimestamps: config.suppressTimestamps))
        }
        sink.mute = config.mute
        let level = SinkLogHandler.level(forVerb: config.verbosity)
        guard let tap else { return Logger(label: "swvpnd") { _ in SinkLogHandler(sink: sink, level: level) } }
        return Logger(label: "swvpnd") { _ in
            MultiplexLogHandler([SinkLogHandler(sink: sink, level: level), tap.handler(level: level)])
        }
    }
}

/// `--genkey [secret] [FILE]` and the older `--genkey --secret FILE`.
enum KeyGeneration {
    static func run(arguments: [String]) throws {
        var args = arguments
        var path: String?
        if let i = args.firstIndex(of: "--secret") {
            guard i + 1 < args.count else { throw ValidationError("--secret needs a file name") }
            path = args[i + 1]
            args.removeSubrange(i...i + 1)
        }
        if args.first == "secret" { args.removeFirst() }
        if path == nil, let file = args.first, !file.hasPrefix("--") {
            path = file
            args.removeFirst()
        }
        guard args.isEmpty else {
            throw ValidationError("--genkey: unexpected '\(args[0])' (only 'secret' keys are supported)")
        }
        let bytes = try SecureRandom.bytes(count: WireFormat.keyFileLength)
        guard let key = StaticKey(bytes: bytes) else { throw ValidationError("internal error: key length") }
        let text = key.fileText
        guard let path else {
            print(text)
            return
        }
        // A crash must never leave half a key: temporary 0600 file, fsync, rename.
        try PosixFileSystem.replace(path, with: text, mode: 0o600, sync: true)
    }
}

/// `--help` lists every directive from the config's own table, so help and parser never disagree.
enum DirectiveHelp {
    static let text: String = {
        var lines = ["Directives (in a config file, or on the command line as --name args):", ""]
        for directive in DirectiveTable.everyOption where directive.status != .rejected {
            let note = directive.status == .noEffect ? " (accepted; no effect in static-key mode)" : ""
            lines.append("  " + directive.synopsis)
            lines += wrap(directive.summary + note, indent: "        ")
        }
        lines += ["", "Rejected openvpn 2.6 options (an error naming the reason):", ""]
        for directive in DirectiveTable.everyOption where directive.status == .rejected {
            let reason = directive.rejectionReason ?? ""
            lines.append("  " + directive.synopsis)
            lines += wrap(directive.summary.contains(reason) ? directive.summary : reason + ".", indent: "        ")
        }
        lines +=
            [""]
            + wrap(
                "Signals: SIGTERM/SIGINT stop, SIGHUP re-reads the config, SIGUSR1 restarts the session, "
                    + "SIGUSR2 logs statistics. See swvpnd(8).", indent: "")
        return lines.joined(separator: "\n")
    }()

    /// ArgumentParser re-wraps lines wider than 80 columns to column 0, which breaks the indented
    /// list; wrapping here first keeps continuation lines under their directive.
    static func wrap(_ text: String, indent: String, width: Int = 79) -> [String] {
        var lines: [String] = []
        var line = indent
        for word in text.split(separator: " ") {
            if line.count > indent.count && line.count + 1 + word.count > width {
                lines.append(line)
                line = indent
            }
            line += (line.count > indent.count ? " " : "") + word
        }
        lines.append(line)
        return lines
    }
}

enum FileHandleStderr {
    static func write(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
