/// Implementation constants of the packet path (not protocol facts: those are in `WireFormat`).
package enum Tunables {
    /// Packets per `recvmmsg`/`sendmmsg`/TUN read round (wireguard-go's IdealBatchSize is 128).
    package static let batchSize = 64
    /// Batches per wake-up before yielding the queue, so timers and the other direction get a turn.
    package static let roundsPerWake = 8
    /// How often a full UDP send buffer is waited for before the rest of a batch is dropped.
    package static let sendWaits = 20
    package static let sendWaitMilliseconds: Int32 = 5
    /// Offload mode: batch slots are 64 KB each, so fewer of them.
    package static let offloadBatchSize = 16
    /// Largest TSO read from TUN / GRO read from UDP (IP's 64 KB limit plus slack).
    package static let maxSuperPacket = 65_536 + 256
    /// UDP GSO: segments per send (the kernel's UDP_MAX_SEGMENTS is 64 on older kernels) and bytes
    /// per send (the whole train must fit one 64 KB IP datagram).
    package static let maxGSOSegments = 64
    package static let maxGSOBytes = 65_000
    /// GSO trains per `sendmmsg`.
    package static let gsoMessages = 8
    /// Looks at an empty queue after a yield before going back to Dispatch, per wake-up that moved
    /// packets (`PacketLoops.pollAgain`). 2 halved context switches and syscalls per GB against 0 in
    /// one interleaved run (Benchmarks/REPORT.md, "Speed round two").
    package static let pollSpins = 2
    /// Crypto workers per direction without `SWVPND_WORKERS` (the loop thread counts as one). 1: on
    /// the 2-core machine where both tunnel ends and the traffic share the cores, a second worker
    /// measured no gain (Benchmarks/REPORT.md, "Parallel crypto").
    package static let defaultWorkers = 1
    package static let maxWorkers = 16
    /// How often the sealer's IV DRBG gets fresh operating-system entropy (OpenSSL reseeds its own
    /// per-thread DRBGs every 7 minutes by default).
    package static let ivReseedSeconds: Int64 = 420
    /// Socket buffers: OpenVPN's defaults (the kernel's ~212 KB) drop bursts at a few hundred Mbit/s.
    package static let socketBufferBytes = 4 * 1024 * 1024
}
