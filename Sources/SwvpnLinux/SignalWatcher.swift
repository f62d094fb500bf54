import Dispatch
import Glibc

/// Process signals the daemon reacts to, with OpenVPN's meaning.
package enum ProcessSignal: Int32, Sendable, CaseIterable {
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
/// How the signals are kept from killing the process: each is set to SIG_IGN first, so one arriving before the
/// source is live is dropped instead of running the default action (terminate). When libdispatch registers a
/// signal source on Linux it installs its own handler, which blocks the signal and re-raises it to its manager
/// thread, where a signalfd picks it up; so no process-wide sigmask is needed. `init` waits for that registration,
/// so every signal sent after it returns is reported. `cancel()` restores the default actions.
// Unchecked: the sources are immutable after init and DispatchSource cancel() is thread-safe.
package final class SignalWatcher: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let signals: [ProcessSignal]

    package init(
        _ signals: [ProcessSignal] = ProcessSignal.allCases,
        queue: DispatchQueue,
        handler: @escaping @Sendable (ProcessSignal) -> Void
    ) {
        self.signals = signals
        // The registration handlers run on `queue`; waiting for them from it would deadlock.
        dispatchPrecondition(condition: .notOnQueue(queue))
        let registered = DispatchGroup()
        var sources: [any DispatchSourceSignal] = []
        for signal in signals {
            Glibc.signal(signal.rawValue, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal.rawValue, queue: queue)
            source.setEventHandler { handler(signal) }
            registered.enter()
            source.setRegistrationHandler { registered.leave() }
            source.resume()
            sources.append(source)
        }
        registered.wait()
        self.sources = sources
    }

    /// Stops watching and restores the default actions (SIGTERM terminates again).
    package func cancel() {
        for source in sources { source.cancel() }
        for signal in signals { Glibc.signal(signal.rawValue, SIG_DFL) }
    }
}
