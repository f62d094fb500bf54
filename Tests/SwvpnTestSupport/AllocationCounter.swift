import CMallocCounter

/// Counts heap allocations (every malloc-family call) through the `CMallocCounter` interposer, for
/// tests that hold the per-packet path to zero. Counts are exact, not sampled: no tolerance needed.
public enum AllocationCounter {
    /// Allocations `body` makes on the calling thread (other threads are not counted).
    public static func count(_ body: () throws -> Void) rethrows -> Int {
        counter_begin()
        defer { _ = counter_end() }
        try body()
        return Int(counter_end())
    }

    /// Allocations of the second of two runs of `body`: the first pays the one-time costs (the Swift
    /// runtime's lazy metadata and witness tables, caches) outside the count. `body` must be repeatable.
    public static func countSteadyState(_ body: () throws -> Void) rethrows -> Int {
        try body()
        return try count(body)
    }

    /// Marks the Dispatch queue running the caller as watched (call it from a work item on that
    /// queue, e.g. a hook the loop runs). False if it could not (libdispatch missing, too many).
    @discardableResult
    public static func watchCurrentQueue() -> Bool { counter_watch_current_queue() != 0 }

    /// Allocations made on any thread while it runs a watched queue, during `body` (the calling
    /// thread's own work is not counted); the watched set is cleared afterwards. Nil if none is watched.
    public static func countOnWatchedQueues(_ body: () throws -> Void) rethrows -> Int? {
        guard counter_begin_queues() != 0 else { return nil }
        defer { _ = counter_end_queues() }
        try body()
        return Int(counter_end_queues())
    }

    /// True when the interposer is in effect: it has seen the process allocate, and it counts a
    /// Swift array made on this thread. Tests of "zero allocations" require this first, so a counter
    /// that silently sees nothing can never make them pass.
    public static var isLive: Bool {
        guard counter_interposed() != 0 else { return false }
        var sum = 0
        let n = count {
            let probe = [Int](repeating: 7, count: 16 + Int(counter_interposed()))
            sum = probe.reduce(0, &+)
        }
        return n >= 1 && sum != 0
    }
}
