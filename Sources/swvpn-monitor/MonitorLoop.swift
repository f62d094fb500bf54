import Foundation
import Logging
import SwvpnLinux
import SwvpnMonitorCore

/// The decision loop: one stream of events into the pure core, its actions out to the health poller,
/// EC2 and the logs. A ticker wakes the core; the loop itself feeds the systemd watchdog, so a wedged
/// loop gets the monitor restarted.
struct MonitorLoop {
    let config: MonitorConfig
    let region: String
    let selfInstanceId: String?
    let health: HealthPoller
    let ec2: EC2Bridge
    let logger: Logger
    let hook: Notifications
    let notifier: SystemdNotifier?
    /// `metrics-listen`: given the metrics text with every status write.
    let metrics: MetricsListener?

    func run() async -> Never {
        var core = MonitorCore(config: config, selfInstanceId: selfInstanceId)
        let (events, sink) = AsyncStream.makeStream(of: MonitorEvent.self, bufferingPolicy: .unbounded)
        let tick = Swift.min(Duration.milliseconds(100), config.timings.checkInterval / 4)
        Task {
            while true {
                try? await Task.sleep(for: tick)
                sink.yield(.tick)
            }
        }
        let clock = ContinuousClock()
        let start = clock.now
        let watchdogEvery = SystemdNotifier.watchdogInterval().map { $0 / 2 }
        var lastWatchdog = start
        var lastStatus = start - .seconds(10)
        var statusFailing = false
        try? notifier?.ready(status: "watching \(config.tunnels.count) tunnels, \(config.routes.count) routes")
        sink.yield(.tick)

        for await event in events {
            let now = clock.now
            for action in core.handle(event, at: now - start) {
                perform(action, sink)
            }
            if let every = watchdogEvery, now - lastWatchdog >= every {
                try? notifier?.watchdog()
                lastWatchdog = now
            }
            if now - lastStatus >= .seconds(1) {
                lastStatus = now
                statusFailing = writeStatus(core, reported: statusFailing)
            }
        }
        fatalError("the event stream never finishes")
    }

    private func perform(_ action: MonitorAction, _ sink: AsyncStream<MonitorEvent>.Continuation) {
        switch action {
        case .report(let report):
            // One journal line per state change or action, with its evidence.
            if report.isAlert { logger.warning("\(report)") } else { logger.notice("\(report)") }
            if report.notifies { Task { [hook] in await hook.send(report) } }
        case .checkHealth:
            Task { [health] in sink.yield(.healthRound(await health.round())) }
        default:
            Task { [ec2] in
                if let event = await ec2.perform(action) { sink.yield(event) }
            }
        }
    }

    /// Returns whether the write failed; a failure is logged once, not every second.
    private func writeStatus(_ core: MonitorCore, reported: Bool) -> Bool {
        let document = StatusDocument(pid: getpid(), region: region, snapshot: core.snapshot, calls: ec2.callCounts)
        metrics?.update(document.metrics)
        do {
            try document.write(to: config.statusFile)
            return false
        } catch {
            if !reported { logger.error("cannot write status file \(config.statusFile): \(error)") }
            return true
        }
    }
}
