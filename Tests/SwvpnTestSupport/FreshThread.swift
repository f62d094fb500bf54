import Glibc

/// Runs work on a brand-new thread (a pthread made for the call, joined before returning), for tests
/// of per-thread costs: Dispatch may run a queue on a worker that never ran it before.
public enum FreshThread {
    /// Runs `body` on a new thread and returns its result. The caller waits, so `body` may use the
    /// caller's state as if it ran inline.
    public static func run(_ body: () -> Int) -> Int {
        withoutActuallyEscaping(body) { escapable in
            let job = Job(escapable)
            let unmanaged = Unmanaged.passRetained(job)
            var thread = pthread_t()
            let created = pthread_create(
                &thread, nil,
                { argument in
                    let job = Unmanaged<Job>.fromOpaque(argument!).takeUnretainedValue()
                    job.result = job.body()
                    return nil
                }, unmanaged.toOpaque())
            precondition(created == 0, "pthread_create failed")
            pthread_join(thread, nil)
            unmanaged.release()
            return job.result
        }
    }

    /// @unchecked: written by the new thread, read by the caller only after `pthread_join`.
    private final class Job: @unchecked Sendable {
        let body: () -> Int
        var result = 0
        init(_ body: @escaping () -> Int) { self.body = body }
    }
}
