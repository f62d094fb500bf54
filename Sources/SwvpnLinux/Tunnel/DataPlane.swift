import Dispatch
import Glibc
import Synchronization
import SwvpnHealth
import SwvpnProtocol

/// The packet loop: TUN → seal → link on the TX queue, link → open → TUN on the RX queue.
///
/// Ownership, not locks, keeps it correct (wireguard-go's and style-anchors' rule):
/// - the TX queue alone owns `outbound` (sealer, packet-id counter, encrypt context) and `txBatch`;
/// - the RX queue alone owns `inbound` (opener, replay window, decrypt context) and `rxBatch`;
/// - facts both need are atomics (`lastSent`, `lastReceived`, counters) or, for the peer address,
///   a versioned value read once per batch.
///
/// Rare events (peer first heard, peer moved, OCC message, link failure) go to `events` on the
/// control queue. Nothing on the per-packet path allocates, logs or locks.
public final class DataPlane: @unchecked Sendable {
    public enum Event: Sendable {
        /// First authenticated packet of the session, or the peer moved (`float`/no `remote`).
        case peerAuthenticated(SocketAddress)
        case occ(OCCMessage)
        case linkFailed(String)
        /// A stream (TCP) link received a packet that failed authentication, decryption or the
        /// replay check: openvpn treats that as a broken connection and restarts it (spec §3.6).
        case streamDecryptFailed(InboundDrop)
        case tunFailed(String)
        /// The reply to the in-tunnel health probe `sequence`, claimed before the TUN write.
        case probeReply(sequence: UInt16, receivedNanoseconds: Int64)
    }

    public let tun: TUNDevice
    public let link: any TunnelLink
    public let counters = TrafficCounters()
    public let peer: PeerAddress
    /// Monotonic seconds of the last packet sent to / authenticated from the peer.
    public let lastSent = Atomic<Int64>(0)
    public let lastReceived = Atomic<Int64>(0)
    /// Set by each loop when it runs a heartbeat; the watchdog only pets systemd if both moved.
    public let txHeartbeat = Atomic<Int64>(0)
    public let rxHeartbeat = Atomic<Int64>(0)

    /// `health-probe`: whose echo replies the RX loop claims. Set before `start()`, never while running.
    public var probe: ICMPProbe?

    private let outbound: OutboundPath
    private let inbound: InboundPath
    private let settings: PacketPathSettings
    /// Without `float`, a configured remote is the only source accepted (checked before any crypto).
    private let pinnedSource: Bool
    /// `!link.isDatagram`, cached: the stream-only checks below cost UDP one predictable branch.
    private let streamLink: Bool
    /// Guards the RX loop's self-rescheduling for stream links (buffered records) against running
    /// after `stop()`.
    private let linkActive = Atomic<Bool>(false)
    private let sourcesCancelled = DispatchGroup()
    private let events: @Sendable (Event) -> Void

    private let txQueue = DispatchQueue(label: "swvpnd.tx", qos: .userInteractive)
    private let rxQueue = DispatchQueue(label: "swvpnd.rx", qos: .userInteractive)
    private let txBatch: PacketBatch
    private let rxBatch: PacketBatch
    private let controlBatch: PacketBatch
    private let fragmentBatch: PacketBatch
    /// Offloads in use; see `Offload`.
    private let offload: Offload
    /// UDP GSO trains of sealed TSO segments, one message each (only with `offload.segmentation`).
    private let gsoBatch: PacketBatch
    /// Where a sealed packet starts relative to the buffer base `OutboundPath` is given, and how
    /// many bytes compression framing adds to an IP packet: both fixed per tunnel, so a TSO
    /// segment's wire size is known before it is sealed.
    private let wireStartOffset: Int
    private let framingGrowth: Int
    private var tunSource: (any DispatchSourceRead)?
    private var linkSource: (any DispatchSourceRead)?

    // TX-queue state.
    private var txPeer = PeerAddress.Cache()
    // RX-queue state.
    private var rxPeer = PeerAddress.Cache()
    private var sessionConfirmed = false
    /// Software GRO towards the TUN device (with `offload.tunVirtioHeader`).
    private let coalescer = TCPCoalescer()

    public init(tun: TUNDevice, link: any TunnelLink, outbound: OutboundPath, inbound: InboundPath,
                peer: PeerAddress, pinnedSource: Bool, offload: Offload = .none,
                events: @escaping @Sendable (Event) -> Void) {
        self.tun = tun
        self.link = link
        self.outbound = outbound
        self.inbound = inbound
        self.settings = outbound.settings
        self.peer = peer
        self.pinnedSource = pinnedSource
        self.streamLink = !link.isDatagram
        self.events = events
        self.offload = offload
        let stride = settings.bufferSize
        let prefix = settings.compression == .lzoPrefix ? 1 : 0
        wireStartOffset = settings.payloadOffset - prefix - settings.layout.cryptoHeadroom
        framingGrowth = settings.compression == .lzoPrefix || settings.compression == .stubSwap ? 1 : 0
        if offload.tunVirtioHeader {
            // A TSO read is up to 64 KB; the virtio header lands just in front of the IP packet.
            let big = (settings.payloadOffset + Tunables.maxSuperPacket + settings.layout.tailroom + 63) & ~63
            txBatch = PacketBatch(capacity: Tunables.offloadBatchSize, stride: big,
                                  headroom: settings.payloadOffset - VirtioNetHeader.size)
        } else {
            txBatch = PacketBatch(capacity: Tunables.batchSize, stride: stride, headroom: settings.payloadOffset)
        }
        if offload.receiveCoalescing {
            rxBatch = PacketBatch(capacity: Tunables.offloadBatchSize, stride: Tunables.maxSuperPacket, headroom: 0)
        } else {
            rxBatch = PacketBatch(capacity: Tunables.batchSize, stride: stride, headroom: 0)
        }
        gsoBatch = PacketBatch(capacity: offload.segmentation ? Tunables.gsoMessages : 1,
                               stride: offload.segmentation ? settings.payloadOffset + Tunables.maxSuperPacket + stride : 64,
                               headroom: 0)
        controlBatch = PacketBatch(capacity: 1, stride: stride, headroom: settings.payloadOffset)
        fragmentBatch = PacketBatch(capacity: FragmentHeader.maxPieces, stride: stride, headroom: settings.payloadOffset)
    }

    /// Starts both loops. May be called again after `stop()` (a TCP link's new connection: the read
    /// source is rebuilt on the link's current `readFD`).
    public func start() {
        let tunSource = DispatchSource.makeReadSource(fileDescriptor: tun.fd, queue: txQueue)
        tunSource.setEventHandler { [unowned self] in self.runTUNToNetwork() }
        let linkSource = DispatchSource.makeReadSource(fileDescriptor: link.readFD, queue: rxQueue)
        linkSource.setEventHandler { [unowned self] in self.runNetworkToTUN() }
        // Waiting for the cancel handlers in stop() guarantees Dispatch no longer watches the fds
        // before the owner closes or replaces them.
        for source in [tunSource, linkSource] as [any DispatchSourceRead] {
            sourcesCancelled.enter()
            source.setCancelHandler { [sourcesCancelled] in sourcesCancelled.leave() }
        }
        self.tunSource = tunSource
        self.linkSource = linkSource
        linkActive.store(true, ordering: .releasing)
        tunSource.resume()
        linkSource.resume()
    }

    /// Stops both loops and waits until neither runs; the fds stay open (the owner closes them).
    public func stop() {
        linkActive.store(false, ordering: .releasing)
        tunSource?.cancel()
        linkSource?.cancel()
        txQueue.sync {}
        rxQueue.sync {}
        sourcesCancelled.wait()
        tunSource = nil
        linkSource = nil
    }

    /// A new session (restart): packet-id back to 1, fresh replay window, peer to be heard again.
    /// With `keepReplayMark` (`replay-persist`) the new window starts at the old high-water mark.
    public func resetSession(keepReplayMark: Bool = false) {
        txQueue.sync { outbound.resetSession() }
        rxQueue.sync {
            let mark = inbound.opener.replayHighWater
            inbound.resetSession()
            if keepReplayMark && mark.time != 0 { inbound.opener.presetReplay(time: mark.time, id: mark.id) }
            sessionConfirmed = false
        }
    }

    /// The receive side's (time, highest id), read on the RX queue that owns it.
    public func replayHighWater() -> (time: UInt32, id: UInt32) {
        rxQueue.sync { inbound.opener.replayHighWater }
    }

    /// Seals and sends a ping or OCC message on the TX queue (the sealer's owner).
    public func sendControl(_ message: ControlMessage) {
        txQueue.async { [self] in
            let now = Clock.wallSeconds()
            let base = controlBatch.buffer(at: 0).baseAddress!
            let result: OutboundResult
            switch message {
            case .ping: result = outbound.sealPing(base, now: now)
            case .occ(let m): result = outbound.sealOCC(m, base, now: now)
            case .probe(let sequence, let sent):
                // An inner packet like one read from TUN, sealed in the same order as the data.
                guard let probe else { return }
                let length = probe.writeRequest(sequence: sequence, sentNanoseconds: sent,
                                                into: base + settings.payloadOffset)
                result = outbound.sealTunnelPacket(base, length: length, now: now)
            }
            transmitSingle(result, batch: controlBatch)
        }
    }

    /// Runs `body` on both loops and records that they are alive (the systemd watchdog's proof).
    public func heartbeat() {
        txQueue.async { [self] in txHeartbeat.store(Clock.monotonicSeconds(), ordering: .relaxed) }
        rxQueue.async { [self] in
            let now = Clock.monotonicSeconds()
            inbound.expireFragments(now: now)
            rxHeartbeat.store(now, ordering: .relaxed)
        }
    }

    // MARK: TX: TUN → link

    private func runTUNToNetwork() {
        txPeer.refresh(from: peer)
        let now = Clock.wallSeconds()
        var tunBytes: UInt64 = 0
        var linkBytes: UInt64 = 0
        var sentAny = false
        for _ in 0..<Tunables.roundsPerWake {
            let n: Int
            do {
                n = try tun.read(into: txBatch)
            } catch {
                events(.tunFailed(error.description))
                return
            }
            if n == 0 { break }
            guard let peer = txPeer.address else {
                for i in 0..<n { tunBytes += UInt64(txBatch.length(at: i)) }
                TrafficCounters.add(counters.droppedNoPeer, UInt64(n))
                continue
            }
            // Seal in place; send contiguous runs so a rare drop or fragmentation keeps order.
            var runStart = 0
            for i in 0..<n {
                var length = txBatch.length(at: i)
                let base = txBatch.buffer(at: i).baseAddress!
                if offload.tunVirtioHeader {
                    let header = VirtioNetHeader(reading: base + txBatch.headroom)
                    length -= VirtioNetHeader.size
                    let ip = base + settings.payloadOffset
                    if header.gsoTypeRaw != 0 {
                        // A TSO super-packet: cut, seal and send it as UDP GSO trains, after what came before.
                        tunBytes += UInt64(max(length, 0))
                        linkBytes += flush(txBatch, from: runStart, to: i, peer: peer)
                        linkBytes += sendSuperPacket(ip, length: length, header: header, peer: peer, now: now)
                        runStart = i + 1
                        continue
                    }
                    if header.flags & VirtioNetHeader.needsChecksum != 0 {
                        _ = TCPSegmenter.completeChecksum(UnsafeMutableRawBufferPointer(start: ip, count: max(length, 0)),
                                                          start: Int(header.checksumStart),
                                                          offset: Int(header.checksumOffset))
                    }
                }
                tunBytes += UInt64(length)
                switch outbound.sealTunnelPacket(base, length: length, now: now) {
                case .sealed(let start, let wireLength):
                    txBatch.setPacket(at: i, offset: start, length: wireLength)
                    linkBytes += UInt64(wireLength)
                case .fragmented(let count):
                    linkBytes += flush(txBatch, from: runStart, to: i, peer: peer)
                    linkBytes += sendFragments(count, peer: peer, now: now)
                    runStart = i + 1
                case .dropped:
                    TrafficCounters.add(counters.droppedSeal, 1)
                    linkBytes += flush(txBatch, from: runStart, to: i, peer: peer)
                    runStart = i + 1
                }
            }
            linkBytes += flush(txBatch, from: runStart, to: n, peer: peer)
            sentAny = true
            if n < txBatch.capacity { break }
        }
        TrafficCounters.add(counters.tunReadBytes, tunBytes)
        TrafficCounters.add(counters.linkWriteBytes, linkBytes)
        if sentAny { lastSent.store(Clock.monotonicSeconds(), ordering: .relaxed) }
    }

    /// Sends packets `from ..< to` of `batch`; returns the wire bytes handed to the link.
    @inline(__always)
    private func flush(_ batch: PacketBatch, from: Int, to: Int, peer: SocketAddress) -> UInt64 {
        guard to > from else { return 0 }
        do {
            let lost = try link.send(batch, start: from, count: to - from, to: peer)
            TrafficCounters.add(counters.droppedLinkSend, UInt64(lost))
            TrafficCounters.add(counters.linkWritePackets, UInt64(to - from - lost))
        } catch {
            TrafficCounters.add(counters.droppedLinkSend, UInt64(to - from))
            events(.linkFailed(error.description))
            return 0
        }
        var bytes: UInt64 = 0
        for i in from..<to { bytes += UInt64(batch.length(at: i)) }
        return bytes
    }

    /// Software TSO + UDP GSO: cuts the super-packet into MSS-sized IP packets and seals each one
    /// straight into its place in a contiguous train of equal-size datagrams, which the kernel
    /// then sends with one `UDP_SEGMENT` message per ~64 KB. On the wire these are ordinary
    /// packets, one packet-id each, exactly what openvpn expects.
    private func sendSuperPacket(_ packet: UnsafeMutableRawPointer, length: Int, header: VirtioNetHeader,
                                 peer: SocketAddress, now: UInt32) -> UInt64 {
        guard header.gsoType == .tcpv4 || header.gsoType == .tcpv6, length > 0,
              let plan = TCPSegmenter.plan(UnsafeRawBufferPointer(start: packet, count: length), mss: Int(header.gsoSize))
        else {
            TrafficCounters.add(counters.droppedSeal, 1)
            return 0
        }
        let fullWire = settings.layout.wireLength(payload: plan.segmentLength(0) + framingGrowth)
        let perMessage = max(1, min(Tunables.maxGSOSegments, Tunables.maxGSOBytes / fullWire))
        let slack = settings.payloadOffset
        var bytes: UInt64 = 0
        var message = 0
        var segment = 0
        while segment < plan.count {
            let count = min(perMessage, plan.count - segment)
            let train = gsoBatch.buffer(at: message).baseAddress! + slack
            var total = 0
            var sealed = 0
            for j in 0..<count {
                // The buffer base OutboundPath expects, placed so the sealed packet starts exactly at
                // the end of the previous one.
                let base = train + total - wireStartOffset
                let segmentLength = TCPSegmenter.writeSegment(segment + j, of: packet, plan: plan,
                                                              to: base + settings.payloadOffset)
                guard case .sealed(let start, let wireLength) = outbound.sealTunnelPacket(base, length: segmentLength, now: now),
                      start == wireStartOffset else { break }
                total += wireLength
                sealed += 1
            }
            if sealed < count { TrafficCounters.add(counters.droppedSeal, UInt64(count - sealed)) }
            segment += count
            guard sealed > 0 else { continue }
            gsoBatch.setPacket(at: message, offset: slack, length: total)
            gsoBatch.setSegmentSize(sealed > 1 ? fullWire : 0, at: message)
            message += 1
            if message == gsoBatch.capacity {
                bytes += flush(gsoBatch, from: 0, to: message, peer: peer)
                message = 0
            }
        }
        bytes += flush(gsoBatch, from: 0, to: message, peer: peer)
        return bytes
    }

    private func sendFragments(_ count: Int, peer: SocketAddress, now: UInt32) -> UInt64 {
        var ready = 0
        for piece in 0..<count {
            let base = fragmentBatch.buffer(at: ready).baseAddress!
            if case .sealed(let start, let length) = outbound.sealFragment(piece, into: base, now: now) {
                fragmentBatch.setPacket(at: ready, offset: start, length: length)
                ready += 1
            } else {
                TrafficCounters.add(counters.droppedSeal, 1)
            }
        }
        return flush(fragmentBatch, from: 0, to: ready, peer: peer)
    }

    private func transmitSingle(_ result: OutboundResult, batch: PacketBatch) {
        txPeer.refresh(from: peer)
        guard let peer = txPeer.address else { return }
        var bytes: UInt64 = 0
        switch result {
        case .sealed(let start, let length):
            batch.setPacket(at: 0, offset: start, length: length)
            bytes = flush(batch, from: 0, to: 1, peer: peer)
        case .fragmented(let count):
            bytes = sendFragments(count, peer: peer, now: Clock.wallSeconds())
        case .dropped:
            TrafficCounters.add(counters.droppedSeal, 1)
        }
        TrafficCounters.add(counters.linkWriteBytes, bytes)
        lastSent.store(Clock.monotonicSeconds(), ordering: .relaxed)
    }


    // MARK: RX: link → TUN

    private func runNetworkToTUN() {
        let now = Clock.monotonicSeconds()
        var linkBytes: UInt64 = 0
        var authBytes: UInt64 = 0
        var tunBytes: UInt64 = 0
        var received: UInt64 = 0
        var streamFailed = false
        rounds: for _ in 0..<Tunables.roundsPerWake {
            let n: Int
            do {
                n = try link.receive(into: rxBatch)
            } catch {
                if !coalescer.isEmpty { flushCoalescer() }
                // A stream's end stays readable: stop watching it until the controller reconnects.
                if streamLink { linkSource?.cancel() }
                events(.linkFailed(error.description))
                return
            }
            if n == 0 { break }
            received += UInt64(n)
            rxPeer.refresh(from: peer)
            for i in 0..<n {
                let length = rxBatch.length(at: i)
                linkBytes += UInt64(length)
                let source = rxBatch.address(at: i)
                if pinnedSource, let expected = rxPeer.address, source != expected {
                    TrafficCounters.add(counters.droppedSource, 1)
                    continue
                }
                let packet = rxBatch.buffer(at: i).baseAddress! + rxBatch.offset(at: i)
                // UDP GRO hands several equal-size datagrams back to back; each is its own packet.
                let segment = offload.receiveCoalescing ? rxBatch.segmentSize(at: i) : 0
                if segment > 0 && segment < length {
                    var offset = 0
                    while offset < length {
                        let part = min(segment, length - offset)
                        receiveOne(packet + offset, length: part, source: source, now: now,
                                   authBytes: &authBytes, tunBytes: &tunBytes)
                        offset += part
                    }
                } else if !receiveOne(packet, length: length, source: source, now: now,
                                      authBytes: &authBytes, tunBytes: &tunBytes) {
                    streamFailed = true
                    break rounds
                }
            }
            if n < rxBatch.capacity { break }
        }
        if !coalescer.isEmpty { flushCoalescer() }
        if streamLink && !streamFailed && link.hasBufferedInput && linkActive.load(ordering: .acquiring) {
            // Records already read from the socket would wait for the next readable event otherwise.
            rxQueue.async { [self] in
                if linkActive.load(ordering: .acquiring) { runNetworkToTUN() }
            }
        }
        TrafficCounters.add(counters.linkReadBytes, linkBytes)
        TrafficCounters.add(counters.linkReadPackets, received)
        TrafficCounters.add(counters.authReadBytes, authBytes)
        TrafficCounters.add(counters.tunWriteBytes, tunBytes)
        if authBytes > 0 { lastReceived.store(now, ordering: .relaxed) }
    }

    /// Opens one wire packet and delivers what it carries. Returns false when a stream link must
    /// stop reading (TCP: any crypto failure ends the connection).
    @inline(__always)
    @discardableResult
    private func receiveOne(_ packet: UnsafeMutableRawPointer, length: Int, source: SocketAddress?, now: Int64,
                            authBytes: inout UInt64, tunBytes: inout UInt64) -> Bool {
        let result = inbound.open(packet, length: length, now: now)
        switch result {
        case .tunnelPacket(let ip):
            // One length compare for bulk traffic; only a 44-byte packet is looked at further.
            if ip.count == ICMPProbe.packetLength, let probe, let sequence = probe.matchReply(UnsafeRawBufferPointer(ip)) {
                events(.probeReply(sequence: sequence, receivedNanoseconds: Clock.monotonicNanoseconds()))
                break
            }
            if offload.tunVirtioHeader {
                // Join TCP segments into one GSO write; anything else flushes what is pending first,
                // so the kernel sees packets in arrival order.
                let view = UnsafeRawBufferPointer(ip)
                if coalescer.offer(view) || (!coalescer.isEmpty && flushCoalescer() && coalescer.offer(view)) {
                    tunBytes += UInt64(ip.count)
                    break
                }
            }
            if writeTUN(ip) {
                tunBytes += UInt64(ip.count)
            } else {
                TrafficCounters.add(counters.droppedTUNWrite, 1)
            }
        case .occ(let message):
            events(.occ(message))
        case .ping, .pending:
            break
        case .dropped(let why):
            counters.countInboundDrop(why)
            // On TCP a crypto failure means the stream is out of step: the rest of it is useless, so
            // stop reading and let the controller restart the connection.
            if streamLink, case .crypto = why {
                linkSource?.cancel()
                events(.streamDecryptFailed(why))
                return false
            }
        }
        guard result.isAuthenticated else { return true }
        authBytes += UInt64(length)
        if let source, !sessionConfirmed || source != rxPeer.address {
            notePeer(source)
        }
        return true
    }

    /// Writes the pending coalesced packet, if any. Always returns true (for chaining in a condition).
    @inline(__always)
    @discardableResult
    private func flushCoalescer() -> Bool {
        if let packet = coalescer.flush() {
            var written = false
            do {
                if case .processed = try tun.write(packet) { written = true }
            } catch {}
            if !written { TrafficCounters.add(counters.droppedTUNWrite, 1) }
        }
        return true
    }

    /// With a virtio-header TUN every write carries one; it goes into the decrypted packet's
    /// former crypto header, which the offload set-up guarantees is at least 10 bytes.
    @inline(__always)
    private func writeTUN(_ ip: UnsafeMutableRawBufferPointer) -> Bool {
        var bytes = UnsafeRawBufferPointer(ip)
        if offload.tunVirtioHeader {
            let start = ip.baseAddress! - VirtioNetHeader.size
            VirtioNetHeader.plain.write(to: start)
            bytes = UnsafeRawBufferPointer(start: start, count: ip.count + VirtioNetHeader.size)
        }
        do {
            if case .processed = try tun.write(bytes) { return true }
        } catch {}
        return false
    }

    /// An authenticated packet from a new address, or the first one of a session.
    private func notePeer(_ source: SocketAddress) {
        sessionConfirmed = true
        if source != rxPeer.address {
            // Only authenticated packets move the peer (OpenVPN's float rule); with a pinned remote
            // the source already equals it.
            peer.set(source)
            rxPeer.refresh(from: peer)
        }
        events(.peerAuthenticated(source))
    }

}

/// Kernel offloads the data plane uses. Nothing changes on the wire: offloads only change how
/// many packets cross the user/kernel boundary per syscall.
public struct Offload: Sendable, Hashable {
    /// TUN opened with `IFF_VNET_HDR` and TSO: reads may be 64 KB TCP super-packets that swvpnd
    /// segments itself (software TSO) — requires `segmentation`.
    public var tunVirtioHeader: Bool
    /// UDP GSO (`UDP_SEGMENT`): one send per train of equal-size sealed packets.
    public var segmentation: Bool
    /// UDP GRO: one receive returns several datagrams from the peer back to back.
    public var receiveCoalescing: Bool

    public init(tunVirtioHeader: Bool, segmentation: Bool, receiveCoalescing: Bool) {
        self.tunVirtioHeader = tunVirtioHeader
        self.segmentation = segmentation
        self.receiveCoalescing = receiveCoalescing
    }

    public static let none = Offload(tunVirtioHeader: false, segmentation: false, receiveCoalescing: false)
}

public enum ControlMessage: Sendable {
    case ping
    case occ(OCCMessage)
    /// `health-probe`: an ICMP echo request to the peer's tunnel address (needs `DataPlane.probe`).
    case probe(sequence: UInt16, sentNanoseconds: Int64)
}

/// The peer's current link address: written rarely (first packet, float, restart), read once per
/// batch by both loops, which re-read the value only when the version moved.
public final class PeerAddress: Sendable {
    private let value: Mutex<SocketAddress?>
    private let versionCounter = Atomic<UInt64>(0)

    public init(_ initial: SocketAddress?) { value = Mutex(initial) }

    public var version: UInt64 { versionCounter.load(ordering: .acquiring) }
    public var current: SocketAddress? { value.withLock { $0 } }

    public func set(_ address: SocketAddress?) {
        value.withLock { $0 = address }
        versionCounter.add(1, ordering: .releasing)
    }

    /// A loop's copy of the address, re-read only when the version moved (one atomic load per batch).
    struct Cache {
        private var version: UInt64 = .max
        private(set) var address: SocketAddress?

        @inline(__always)
        mutating func refresh(from peer: PeerAddress) {
            let current = peer.version
            if current != version {
                address = peer.current
                version = current
            }
        }
    }
}
