import Glibc
import SwvpnProtocol
import Synchronization

/// Helper threads that seal or open a share of one batch beside a loop's own thread
/// (`SWVPND_WORKERS`; see `CryptoJob`). One set per direction, so the TX and RX loops never wait for
/// each other's helpers.
///
/// The batch is the unit: the loop thread posts a share to each helper, does the first share
/// itself, then waits for all of them before it sends or writes anything, in order. Nothing is
/// queued per packet and nothing allocates after start-up: each helper is a plain thread blocked on
/// a semaphore between batches, with its own OpenSSL contexts and IV DRBG (`CryptoSeat`), because
/// EVP cipher and HMAC contexts are not thread-safe.
final class CryptoWorkers {
    private let workers: [CryptoWorker]
    /// The loop thread's own contexts (the path's sealer or opener).
    let seat: CryptoSeat

    /// Fewer items than this per batch are done on the loop thread alone: posting a share costs a
    /// wake-up of the helper, about what sealing a few packets costs.
    static let minimumItems = 8

    /// - Parameters:
    ///   - seat: the loop's own contexts.
    ///   - helpers: one seat per helper thread (empty: everything runs on the loop thread).
    init(seat: CryptoSeat, helpers: [CryptoSeat], name: String) {
        self.seat = seat
        workers = helpers.enumerated().map { CryptoWorker(seat: $1, name: "\(name)\($0 + 1)") }
    }

    deinit {
        for worker in workers { worker.finish() }
    }

    var isParallel: Bool { !workers.isEmpty }
    /// Jobs shared with the helpers so far (read on the loop's queue; for tests and diagnostics).
    private(set) var sharedRuns = 0

    /// Reseeds the helpers' IV DRBGs. Call it on the loop's queue between batches: the helpers are
    /// blocked on their semaphores then, and the last `done` ordered their use before this.
    func reseedIVSources() {
        for worker in workers { worker.seat.outbound?.sealer.reseedIVSource() }
    }

    /// Runs `job` over items `0 ..< count`, split into equal shares over the loop thread and the
    /// helpers; returns when every share is done (the results are then the loop thread's to read).
    @inline(__always)
    func run(_ job: CryptoJob, count: Int) {
        guard isParallel, count >= Self.minimumItems else {
            seat.perform(job, 0..<count)
            return
        }
        sharedRuns &+= 1
        let parts = workers.count + 1
        for k in 0..<workers.count {
            workers[k].post(job, count * (k + 1) / parts..<count * (k + 2) / parts)
        }
        seat.perform(job, 0..<count / parts)
        for k in 0..<workers.count { workers[k].wait() }
    }
}

/// One helper thread and its mailbox.
///
/// @unchecked Sendable: `job`, `range` and `quit` are written by the loop thread only before
/// `start.post()` and read by the helper only after `start.wait()`; the helper writes its results
/// (into the job's buffers) before `done.post()`, and the loop thread reads them only after
/// `done.wait()`. The two semaphores order every access; nothing is touched concurrently.
private final class CryptoWorker: @unchecked Sendable {
    let seat: CryptoSeat
    private var job = CryptoJob.none
    private var range = 0..<0
    private var quit = false
    private let start = Semaphore()
    private let done = Semaphore()
    private var thread = pthread_t()

    init(seat: CryptoSeat, name: String) {
        self.seat = seat
        let context = Unmanaged.passRetained(Start(worker: self, name: name)).toOpaque()
        let created = pthread_create(
            &thread, nil,
            { argument in
                let start = Unmanaged<Start>.fromOpaque(argument!).takeRetainedValue()
                // Named so per-thread CPU (top -H, perf) shows it, and the tests' malloc counter finds it.
                nameCurrentThread(start.name)
                start.worker.serve()
                return nil
            }, context)
        precondition(created == 0, "cannot start crypto worker thread: errno \(created)")
    }

    /// What the new thread needs, handed over retained.
    private final class Start: @unchecked Sendable {  // immutable after init, read by the new thread only
        let worker: CryptoWorker
        let name: String
        init(worker: CryptoWorker, name: String) {
            self.worker = worker
            self.name = name
        }
    }

    @inline(__always)
    func post(_ job: CryptoJob, _ range: Range<Int>) {
        self.job = job
        self.range = range
        start.post()
    }

    @inline(__always)
    func wait() { done.wait() }

    private func serve() {
        while true {
            start.wait()
            if quit { return }
            seat.perform(job, range)
            done.post()
        }
    }

    /// Ends the thread and waits for it (the owner is going away; no share is in flight).
    func finish() {
        quit = true
        start.post()
        pthread_join(thread, nil)
    }
}

/// A POSIX semaphore allocated once: `sem_post`/`sem_wait` are futex calls with no allocation.
private final class Semaphore: @unchecked Sendable {  // sem_t is made for use from several threads
    private let sem = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    init() { sem_init(sem, 0, 0) }

    deinit {
        sem_destroy(sem)
        sem.deallocate()
    }

    @inline(__always) func post() { sem_post(sem) }

    @inline(__always)
    func wait() {
        while sem_wait(sem) != 0 && errno == EINTR {}
    }
}

/// Sets the calling thread's name (at most 15 bytes) through /proc, since glibc's
/// `pthread_setname_np` is not visible to Swift without `_GNU_SOURCE`.
private func nameCurrentThread(_ name: String) {
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = name.utf8.prefix(15).withContiguousStorageIfAvailable { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}
