import Foundation
import Logging
import SwvpnMonitorCore

/// Runs `notify-exec` for alerts and route moves: argv as configured (no shell), the event in the
/// environment, killed after `notify-timeout`. One at a time, in order; a backlog beyond 32 is dropped
/// (and logged) rather than piling up processes.
actor NotificationHook {
    private let argv: [String]
    private let timeout: Duration
    private let logger: Logger
    private var queue: [MonitorReport] = []
    private var running = false

    init(argv: [String], timeout: Duration, logger: Logger) {
        self.argv = argv
        self.timeout = timeout
        self.logger = logger
    }

    func send(_ report: MonitorReport) {
        guard queue.count < 32 else {
            logger.warning("notify-exec backlog full: dropped \(report.kind.rawValue) \(report.subject)")
            return
        }
        queue.append(report)
        guard !running else { return }
        running = true
        Task { await drain() }
    }

    private func drain() async {
        while !queue.isEmpty {
            let report = queue.removeFirst()
            await run(report)
        }
        running = false
    }

    static func environment(_ report: MonitorReport) -> [String: String] {
        [
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "SWVPN_MONITOR_EVENT": report.kind.rawValue,
            "SWVPN_MONITOR_SUBJECT": report.subject,
            "SWVPN_MONITOR_MESSAGE": report.message,
            "SWVPN_MONITOR_ALERT": report.isAlert ? "1" : "0",
        ]
    }

    private func run(_ report: MonitorReport) async {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.environment = Self.environment(report)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let finished = AsyncStream<Int32>.makeStream()
        process.terminationHandler = {
            finished.continuation.yield($0.terminationStatus)
            finished.continuation.finish()
        }
        do {
            try process.run()
        } catch {
            logger.error("notify-exec \(argv[0]) for \(report.kind.rawValue) did not start: \(error)")
            return
        }
        let pid = process.processIdentifier
        // Returns whether it had to kill (the timeout passed before the program exited).
        let killer = Task { () -> Bool in
            guard (try? await Task.sleep(for: timeout)) != nil else { return false }
            kill(pid, SIGTERM)
            if (try? await Task.sleep(for: .seconds(2))) != nil { kill(pid, SIGKILL) }
            return true
        }
        var status: Int32 = -1
        for await code in finished.stream { status = code }
        killer.cancel()
        let timedOut = await killer.value
        if status != 0 {
            logger.warning(
                "notify-exec \(argv[0]) for \(report.kind.rawValue) \(timedOut ? "killed after \(timeout)" : "exited \(status)")"
            )
        }
    }
}

/// Where alerts and route moves go besides the journal: notify-exec and SNS, each optional.
struct Notifications: Sendable {
    let exec: NotificationHook?
    let sns: SNSPublisher?

    func send(_ report: MonitorReport) async {
        await exec?.send(report)
        await sns?.publish(report)
    }
}
