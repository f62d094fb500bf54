import ArgumentParser
import Foundation
import Logging
import SwvpnConfig
import SwvpnLinux
import SwvpnMonitorCore

/// `swvpn-monitor`: argv in; run the monitor, check its config, or show a running monitor's state.
@main
struct SwvpnMonitor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swvpn-monitor",
        abstract:
            "High-availability monitor for swvpnd tunnels between AWS VPCs: moves both VPCs' routes to the standby tunnel, verified, and back.",
        discussion: MonitorHelp.text,
        version: "0.1.0",
        subcommands: [Run.self, Status.self],
        defaultSubcommand: Run.self
    )
}

struct ConfigOption: ParsableArguments {
    @Option(name: .customLong("config"), help: "Monitor config file.")
    var path = MonitorConfig.defaultPath

    func load() throws -> MonitorConfig {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw fail("\(path): cannot read: \((error as NSError).localizedDescription)")
        }
        do {
            return try MonitorConfig.parse(text: String(decoding: data, as: UTF8.self), source: path)
        } catch {
            throw fail("\(error)")
        }
    }
}

extension SwvpnMonitor {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Watch the tunnels and move routes (the default).")

        @OptionGroup var config: ConfigOption

        @Flag(
            name: [.customLong("check-config"), .customLong("test-config")],
            help: "Validate the config, print what it describes, and exit.")
        var checkConfig = false

        func run() async throws {
            let config = try config.load()
            if checkConfig {
                print(MonitorHelp.summary(config), terminator: "")
                return
            }
            let sink = LogSink(stderrStyle: LogSink.defaultStderrStyle(suppressTimestamps: false))
            let logger = Logger(label: "swvpn-monitor") { _ in SinkLogHandler(sink: sink, level: .info) }
            for warning in config.warnings { logger.warning("\(warning)") }
            var metrics: MetricsListener?
            if let listen = config.metricsListen {
                do throws(SystemError) {
                    metrics = try MetricsListener(
                        name: "metrics-listen", host: listen.address, port: listen.port, logger: logger)
                } catch {
                    logger.critical("metrics-listen \(listen.address) \(listen.port): \(error)")
                    throw ExitCode(1)
                }
                metrics?.serve()
                logger.notice("metrics-listen: serving GET /metrics on \(listen.address):\(listen.port)")
            }
            let aws: AWSSetup
            do {
                aws = try await AWSSetup.make(config)
            } catch {
                logger.critical("cannot reach AWS: \(error)")
                throw ExitCode(1)
            }
            let host = aws.selfInstanceId.map { ", running on \($0)" } ?? ""
            logger.notice(
                "swvpn-monitor starting: \(config.sourceName), region \(aws.region), \(config.tunnels.count) tunnels, \(config.routes.count) routes\(host)"
            )
            let hook = Notifications(
                exec: config.notify.exec.map {
                    NotificationHook(argv: $0, timeout: config.notify.timeout, logger: logger)
                },
                sns: SNSPublisher(
                    config: config, credentials: aws.credentials, transport: aws.transport, logger: logger))
            let ec2 = EC2Bridge(ec2: aws.ec2, config: config)
            // Before anything relies on them: a missing permission stops the monitor here, by name.
            let verdict = await ec2.preflight(selfInstanceId: aws.selfInstanceId)
            for report in verdict.reports { logger.notice("\(report)") }
            if let fatal = verdict.fatal {
                logger.critical("\(fatal)")
                throw ExitCode(1)
            }
            // Alongside the loop, so a slow EC2 at start does not hold back the first health checks.
            Task {
                for report in await ec2.auditSourceDestCheck() {
                    if report.isAlert { logger.warning("\(report)") } else { logger.notice("\(report)") }
                    if report.isAlert { await hook.send(report) }
                }
            }
            await MonitorLoop(
                config: config, region: aws.region, selfInstanceId: aws.selfInstanceId,
                health: HealthPoller(config: config),
                ec2: ec2, logger: logger, hook: hook, notifier: SystemdNotifier.fromEnvironment(),
                metrics: metrics
            ).run()
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the running monitor's tunnels, routes, instances and counters.")

        @OptionGroup var config: ConfigOption

        @Flag(help: "Print the status file's JSON.")
        var json = false

        @Flag(help: "Print the Prometheus metrics text.")
        var metrics = false

        func run() throws {
            let path = (try? config.load())?.statusFile ?? MonitorConfig(sourceName: "").statusFile
            let document: StatusDocument
            do {
                document = try StatusDocument.read(from: path)
            } catch {
                throw fail("\(path): no status (is swvpn-monitor running?): \((error as NSError).localizedDescription)")
            }
            if json {
                print(String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self))
            } else if metrics {
                print(document.metrics, terminator: "")
            } else {
                print(document.text, terminator: "")
            }
            let age = Date().timeIntervalSince1970 - document.updated
            if age > 10 {
                _ = fail("status: \(path) is \(Int(age)) s old: the monitor is not running")
                throw ExitCode(3)
            }
        }
    }
}

/// Prints `swvpn-monitor: message` to stderr; the caller throws the exit code (1).
func fail(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("swvpn-monitor: \(message)\n".utf8))
    return ExitCode(1)
}
