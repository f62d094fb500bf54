import Dispatch
import Glibc

/// Process signals the daemon reacts to, with OpenVPN's meaning.
public enum ProcessSignal: Int32, Sendable, CaseIterable {
    /// Exit cleanly.
    case terminate = 15  // SIGTERM
    case interrupt = 2  // SIGINT
    /// OpenVPN: hard restart (re-read config).
    case hangUp = 1  // SIGHUP
    /// OpenVPN: soft restart.
    case user1 = 10  // SIGUSR1
    /// OpenVPN: log statistics.
    case user2 = 12  // SIGUSR2
}

/// Delivers signals as events on a Dispatch queue instead of in an async-signal handler.
///
/// The signals' default action is set to ignore (SIG_IGN) first: a DispatchSourceSignal only observes delivery,
/// so without this SIGTERM would still kill the process. Dispatch sees ignored signals through its own
/// mechanism, so nothing is lost. `cancel()` restores the default actions.
// Unchecked: the sources are immutable after init and DispatchSource cancel() is thread-safe.
public final class SignalWatcher: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let signals: [ProcessSignal]

    public init(
        _ signals: [ProcessSignal] = ProcessSignal.allCases,
        queue: DispatchQueue,
        handler: @escaping @Sendable (ProcessSignal) -> Void
    ) {
        self.signals = signals
        var sources: [any DispatchSourceSignal] = []
        for signal in signals {
            Glibc.signal(signal.rawValue, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal.rawValue, queue: queue)
            source.setEventHandler { handler(signal) }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    public func cancel() {
        for source in sources { source.cancel() }
        for signal in signals { Glibc.signal(signal.rawValue, SIG_DFL) }
    }
}
