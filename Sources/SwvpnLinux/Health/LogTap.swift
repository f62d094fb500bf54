import Glibc
import Logging
import SwvpnHealth
import Synchronization

/// Keeps the last log lines for the management interface's `log` command and hands each new one
/// to a listener (real-time `>LOG:`). A swift-log handler feeds it next to the normal sink.
package final class LogTap: Sendable {
    private let history = Mutex(BoundedHistory<ManagementLogEntry>(capacity: 100))
    private let listener = Mutex<(@Sendable (ManagementLogEntry) -> Void)?>(nil)

    package init() {}

    func append(_ entry: ManagementLogEntry) {
        history.withLock { $0.append(entry) }
        listener.withLock { $0 }?(entry)
    }

    var entries: BoundedHistory<ManagementLogEntry> { history.withLock { $0 } }

    func onAppend(_ f: @escaping @Sendable (ManagementLogEntry) -> Void) { listener.withLock { $0 = f } }

    /// A handler to combine with the sink's (`MultiplexLogHandler`).
    package func handler(level: Logger.Level) -> some LogHandler { Handler(tap: self, logLevel: level) }

    struct Handler: LogHandler {
        let tap: LogTap
        var logLevel: Logger.Level
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            // openvpn's flags: F fatal, N non-fatal error, W warning, D debug, I everything else.
            let flags =
                switch event.level {
                case .critical: "F"
                case .error: "N"
                case .warning: "W"
                case .debug, .trace: "D"
                case .info, .notice: "I"
                }
            tap.append(ManagementLogEntry(unixTime: Int64(time(nil)), flags: flags, message: "\(event.message)"))
        }
    }
}
