import Dispatch
import Glibc
import SwvpnProtocol
import Synchronization

/// Both packet loops of a `DataPlane` for one device and link type: buffers, read sources, start
/// and stop here; the loops in `+Transmit`, `+Receive` and `+Offload`.
///
/// Generic, not existential: `DataPlane` builds it for the concrete pair, and the read-source
/// handlers are made in `init`, where the types are concrete, so what Dispatch runs per wake-up is
/// the specialised loop.
final class PacketLoops<Device: PacketDevice, Link: TunnelLink>: DataPlaneLoops, @unchecked Sendable {
    // @unchecked: TX-queue state is touched only on `txQueue`, RX-queue state only on `rxQueue`;
    // `start`/`stop`/`sources` only on the control queue while the loops are stopped or via `sync`.

    /// The owner's shared state (counters, peer, clocks, events). Unowned(unsafe): the `DataPlane`
    /// owns this object and outlives it; no reference counting per batch.
    unowned(unsafe) let plane: DataPlane
    let device: Device
    let link: Link
    let outbound: OutboundPath
    let inbound: InboundPath
    let settings: PacketPathSettings
    let pinnedSource: Bool
    /// `!link.isDatagram`, cached: the stream-only checks cost UDP one predictable branch.
    let streamLink: Bool
    /// Offloads in use; see `Offload`.
    let offload: Offload
    /// Adaptive polling (`Tunables.pollSpins`; `SWVPND_POLL_SPINS=0` turns it off): how often a loop
    /// that moved packets in this wake-up yields the CPU and looks again before returning to
    /// Dispatch; see `pollAgain`.
    let pollSpins: Int
    /// Crypto workers (`SWVPND_WORKERS` > 1; see `CryptoWorkers`): nil runs every seal and open on
    /// the loop thread, as with one worker. `presealsBatches`: plain TX batches are sealed as a whole
    /// before sending (not with TUN offloads, whose super-packets are split per GSO train, nor with
    /// `passtos`/`shaper`, which look at each packet before it is sealed).
    let txCrypto: CryptoWorkers?
    let rxCrypto: CryptoWorkers?
    let presealsBatches: Bool
    /// `rxCrypto != nil`, as a plain flag for the per-datagram branch.
    let opensInParallel: Bool
    let txScratch: CryptoScratch?
    let rxScratch: CryptoScratch?
    /// Guards the RX loop's self-rescheduling for stream links (buffered records) against running
    /// after `stop()`.
    let linkActive = Atomic<Bool>(false)
    private let sourcesCancelled = DispatchGroup()

    // Default QoS: on Linux libdispatch renices each worker thread to match its QoS (.userInteractive
    // is nice -4), which needs CAP_SYS_NICE or RLIMIT_NICE; without them it logs errno=13 and the thread
    // stays at 0. To favour the tunnel over other services, give the unit a CPUWeight= instead.
    let txQueue = DispatchQueue(label: "swvpnd.tx", qos: .default)
    let rxQueue = DispatchQueue(label: "swvpnd.rx", qos: .default)
    let txBatch: PacketBatch
    let rxBatch: PacketBatch
    let controlBatch: PacketBatch
    /// Fragment pieces of one datagram (`OutboundPath` seals them straight into these slots).
    let fragmentBatch: PacketBatch
    let fragmentSlots: PacketSlots
    /// UDP GSO trains of sealed TSO segments, one message each (only with `offload.segmentation`).
    let gsoBatch: PacketBatch
    var deviceSource: (any DispatchSourceRead)?
    var linkSource: (any DispatchSourceRead)?
    /// The loops' entry points, made in `init` where `Device` and `Link` are concrete.
    private var transmitHandler: (@Sendable () -> Void)?
    private var receiveHandler: (@Sendable () -> Void)?

    // TX-queue state.
    var txPeer = PeerAddress.Cache()
    /// `passtos`, `shaper`; nil without them.
    var outputPolicy: OutputPolicy?
    /// Monotonic seconds of the IV source's last reseed (see `heartbeat`).
    var ivReseeded: Int64 = 0
    // RX-queue state.
    var rxPeer = PeerAddress.Cache()
    var sessionConfirmed = false
    /// Software GRO towards the device (with `offload.tunVirtioHeader`).
    let coalescer = TCPCoalescer()
    /// See `DataPlane.setInboundIntercept`; read once per batch.
    var intercept: InboundIntercept?

    init(plane: DataPlane, device: Device, link: Link, paths: LoopPaths) {
        self.plane = plane
        self.device = device
        self.link = link
        outbound = paths.outbound
        inbound = paths.inbound
        settings = paths.outbound.settings
        pinnedSource = paths.pinnedSource
        streamLink = !link.isDatagram
        offload = paths.offload
        outputPolicy = paths.outputPolicy
        let spins = getenv("SWVPND_POLL_SPINS").flatMap { Int(String(cString: $0)) }
        pollSpins = spins.map { min(max($0, 0), 8) } ?? Tunables.pollSpins
        precondition(
            !offload.tunVirtioHeader || settings.allowsOffload, "offloads need PacketPathSettings.allowsOffload")
        let stride = settings.bufferSize
        if offload.tunVirtioHeader {
            // A TSO read is up to 64 KB; the virtio header lands just in front of the IP packet.
            let big = (settings.payloadOffset + Tunables.maxSuperPacket + settings.layout.tailroom + 63) & ~63
            txBatch = PacketBatch(
                capacity: Tunables.offloadBatchSize, stride: big,
                headroom: settings.tunReadOffset(virtioHeader: true))
        } else {
            txBatch = PacketBatch(capacity: Tunables.batchSize, stride: stride, headroom: settings.payloadOffset)
        }
        if offload.receiveCoalescing {
            rxBatch = PacketBatch(capacity: Tunables.offloadBatchSize, stride: Tunables.maxSuperPacket, headroom: 0)
        } else {
            rxBatch = PacketBatch(capacity: Tunables.batchSize, stride: stride, headroom: 0)
        }
        gsoBatch = PacketBatch(
            capacity: offload.segmentation ? Tunables.gsoMessages : 1,
            stride: offload.segmentation ? settings.trainSlack + Tunables.maxSuperPacket + stride : 64,
            headroom: 0)
        controlBatch = PacketBatch(capacity: 1, stride: stride, headroom: settings.payloadOffset)
        fragmentBatch = PacketBatch(
            capacity: FragmentHeader.maxPieces, stride: stride, headroom: settings.payloadOffset)
        fragmentSlots = fragmentBatch.fragmentSlots
        // Parallel sealing needs one packet-id per packet (no compression, no `fragment`); parallel
        // opening needs datagrams (a stream ends at its first bad record).
        if !paths.helpers.outbound.isEmpty && outbound.sealsOnePacketEach {
            txCrypto = CryptoWorkers(
                seat: CryptoSeat(outbound: outbound), helpers: paths.helpers.outbound.map { CryptoSeat(outbound: $0) },
                name: "swvpnd-cw-tx")
            txScratch = CryptoScratch(capacity: max(txBatch.capacity, Tunables.maxGSOSegments))
        } else {
            txCrypto = nil
            txScratch = nil
        }
        presealsBatches = txCrypto != nil && !offload.tunVirtioHeader && outputPolicy == nil
        if !paths.helpers.openers.isEmpty && link.isDatagram {
            rxCrypto = CryptoWorkers(
                seat: CryptoSeat(inbound: inbound, opener: inbound.opener),
                helpers: paths.helpers.openers.map { [inbound = paths.inbound] in
                    CryptoSeat(inbound: inbound, opener: $0)
                },
                name: "swvpnd-cw-rx")
            // A GRO read holds at most 64 datagrams per slot (the kernel's UDP_GRO_CNT_MAX).
            rxScratch = CryptoScratch(capacity: rxBatch.capacity * (offload.receiveCoalescing ? 64 : 1))
        } else {
            rxCrypto = nil
            rxScratch = nil
        }
        opensInParallel = rxCrypto != nil
        transmitHandler = { [unowned self] in self.runDeviceToLink() }
        receiveHandler = { [unowned self] in self.runLinkToDevice() }
    }

    deinit {
        txScratch?.free()
        rxScratch?.free()
    }

    /// Whether to look at an empty queue once more before going back to Dispatch: a Dispatch
    /// wake-up costs an epoll return and a worker hand-off (two context switches), a yield one
    /// `sched_yield`; while traffic flows the queue has often refilled by then. Bounded by
    /// `pollSpins` per wake-up (and by `Tunables.roundsPerWake`), and only after packets moved.
    @inline(__always)
    func pollAgain(_ spins: inout Int, active: Bool) -> Bool {
        guard active && spins < pollSpins else { return false }
        spins += 1
        sched_yield()
        return true
    }

    func start() {
        let deviceSource = DispatchSource.makeReadSource(fileDescriptor: device.readFD, queue: txQueue)
        deviceSource.setEventHandler(handler: transmitHandler)
        let linkSource = DispatchSource.makeReadSource(fileDescriptor: link.readFD, queue: rxQueue)
        linkSource.setEventHandler(handler: receiveHandler)
        // Waiting for the cancel handlers in stop() guarantees Dispatch no longer watches the fds
        // before the owner closes or replaces them.
        for source in [deviceSource, linkSource] as [any DispatchSourceRead] {
            sourcesCancelled.enter()
            source.setCancelHandler { [sourcesCancelled] in sourcesCancelled.leave() }
        }
        self.deviceSource = deviceSource
        self.linkSource = linkSource
        linkActive.store(true, ordering: .releasing)
        deviceSource.resume()
        linkSource.resume()
    }

    func stop() {
        linkActive.store(false, ordering: .releasing)
        deviceSource?.cancel()
        linkSource?.cancel()
        txQueue.sync {}
        rxQueue.sync {}
        sourcesCancelled.wait()
        deviceSource = nil
        linkSource = nil
    }

    func resetSession(keepReplayMark: Bool) {
        txQueue.sync { outbound.resetSession() }
        rxQueue.sync {
            let mark = inbound.opener.replayHighWater
            inbound.resetSession()
            if keepReplayMark && mark.time != 0 { inbound.opener.presetReplay(time: mark.time, id: mark.id) }
            sessionConfirmed = false
        }
    }

    func replayHighWater() -> (time: UInt32, id: UInt32) {
        rxQueue.sync { inbound.opener.replayHighWater }
    }

    func heartbeat() {
        txQueue.async { [self] in
            let now = Clock.monotonicSeconds()
            // The sealer's DRBG reseeds here, on its queue between batches, never while sealing.
            if ivReseeded == 0 {
                ivReseeded = now
            } else if now - ivReseeded >= Tunables.ivReseedSeconds {
                outbound.sealer.reseedIVSource()
                txCrypto?.reseedIVSources()
                ivReseeded = now
            }
            plane.txHeartbeat.store(now, ordering: .relaxed)
        }
        rxQueue.async { [self] in
            let now = Clock.monotonicSeconds()
            inbound.expireFragments(now: now)
            plane.rxHeartbeat.store(now, ordering: .relaxed)
            // Replay-state hook (#13): the mark for the control plane's save decision, once a second.
            let mark = inbound.opener.replayHighWater
            plane.replayMark.store(UInt64(mark.time) << 32 | UInt64(mark.id), ordering: .relaxed)
        }
    }

    func setInboundIntercept(_ intercept: InboundIntercept?) {
        rxQueue.sync { self.intercept = intercept }
    }

    func parallelBatches() -> (tx: Int, rx: Int) {
        (txQueue.sync { txCrypto?.sharedRuns ?? 0 }, rxQueue.sync { rxCrypto?.sharedRuns ?? 0 })
    }
}
