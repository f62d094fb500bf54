import SwvpnProtocol

// The RX loop: link → open → device, on the RX queue (steps 1-7 of the inbound packet walk).
extension PacketLoops {
    /// Per-wake-up tallies, added to the shared counters once at the end.
    struct ReceiveTally {
        var authBytes: UInt64 = 0
        var deviceBytes: UInt64 = 0
        /// A stream link must stop reading (see `InboundPath.endsStream`).
        var streamEnded = false
    }

    func runLinkToDevice() {
        let now = Clock.monotonicSeconds()
        let counters = plane.counters
        let claim = intercept
        var linkBytes: UInt64 = 0
        var received: UInt64 = 0
        var tally = ReceiveTally()
        var spins = 0
        rounds: for _ in 0..<Tunables.roundsPerWake {
            let n: Int
            do {
                n = try link.receive(into: rxBatch)
            } catch {
                if !coalescer.isEmpty { flushCoalescer() }
                // A stream's end stays readable: stop watching it until the controller reconnects.
                if streamLink { linkSource?.cancel() }
                plane.events(.linkFailed(error.description))
                return
            }
            if n == 0 {
                if pollAgain(&spins, active: received > 0) { continue }
                break
            }
            received += UInt64(n)
            rxPeer.refresh(from: plane.peer)
            // With crypto workers, datagrams are queued and opened a batch at a time (PacketLoops+Parallel).
            var queued = 0
            for i in 0..<n {
                let length = rxBatch.length(at: i)
                linkBytes += UInt64(length)
                let source = rxBatch.address(at: i)
                // Pinned: only the remote's address, and nothing while it has none (not resolved yet).
                if pinnedSource, source != rxPeer.address {
                    counters.add(.wrongSource)
                    continue
                }
                let packet = rxBatch.slotBase(i) + rxBatch.offset(at: i)
                // UDP GRO hands several equal-size datagrams back to back; each is its own packet.
                let segment = offload.receiveCoalescing ? rxBatch.segmentSize(at: i) : 0
                if segment > 0 && segment < length {
                    var offset = 0
                    while offset < length {
                        let part = min(segment, length - offset)
                        if opensInParallel {
                            queueForOpening(
                                packet + offset, length: part, slot: i, queued: &queued, now: now, claim: claim, &tally)
                        } else {
                            receiveOne(
                                packet + offset, length: part, source: source, slot: i, now: now, claim: claim, &tally)
                        }
                        offset += part
                    }
                } else if opensInParallel {
                    queueForOpening(packet, length: length, slot: i, queued: &queued, now: now, claim: claim, &tally)
                } else {
                    receiveOne(packet, length: length, source: source, slot: i, now: now, claim: claim, &tally)
                    if tally.streamEnded { break rounds }
                }
            }
            if opensInParallel { openQueued(&queued, now: now, claim: claim, &tally) }
            if n < rxBatch.capacity && !pollAgain(&spins, active: true) { break }
        }
        if !coalescer.isEmpty { flushCoalescer() }
        if streamLink && !tally.streamEnded && link.hasBufferedInput && linkActive.load(ordering: .acquiring) {
            // Records already read from the socket would wait for the next readable event otherwise.
            rxQueue.async { [self] in
                if linkActive.load(ordering: .acquiring) { runLinkToDevice() }
            }
        }
        TrafficCounters.add(counters.linkReadBytes, linkBytes)
        TrafficCounters.add(counters.linkReadPackets, received)
        TrafficCounters.add(counters.authReadBytes, tally.authBytes)
        TrafficCounters.add(counters.tunWriteBytes, tally.deviceBytes)
        if tally.authBytes > 0 { plane.lastReceived.store(now, ordering: .relaxed) }
    }

    /// Opens one wire packet and delivers what it carries.
    /// `authenticated`: what a crypto worker's `authenticate` found (nil: open it here).
    @inline(__always)
    func receiveOne(
        _ packet: UnsafeMutableRawPointer, length: Int, source: SocketAddress?, slot: Int, now: Int64,
        claim: InboundIntercept?, _ tally: inout ReceiveTally, authenticated: OpenResult? = nil
    ) {
        let result: InboundResult
        if let authenticated {
            result = inbound.finish(packet, authenticated, now: now)
        } else {
            result = inbound.open(packet, length: length, now: now)
        }
        switch result {
        case .tunnelPacket(let ip):
            if let claim, claim(UnsafeRawBufferPointer(ip)) { break }
            if deliver(ip) {
                tally.deviceBytes += UInt64(ip.count)
            } else {
                plane.counters.add(.tunWrite)
            }
        case .occ(let message):
            plane.events(.occ(message))
        case .ping, .pending:
            break
        case .dropped(let why):
            plane.counters.add(PacketDrop(why))
            if inbound.endsStream(result) {
                // The rest of a stream that is out of step is useless: stop reading, let the
                // controller restart the connection.
                linkSource?.cancel()
                plane.events(.streamDecryptFailed(why))
                tally.streamEnded = true
                return
            }
        }
        guard result.isAuthenticated else { return }
        tally.authBytes += UInt64(length)
        if let source, !sessionConfirmed || source != rxPeer.address {
            notePeer(source, slot: slot)
        }
    }

    /// An authenticated packet from a new address, or the first one of a session (in `rxBatch` slot `slot`).
    private func notePeer(_ source: SocketAddress, slot: Int) {
        sessionConfirmed = true
        link.peerHeard(source, slot: slot, in: rxBatch)  // Hook: multihome (UDPLink+Multihome.swift)
        if source != rxPeer.address {
            // Only authenticated packets move the peer (OpenVPN's float rule); with a pinned remote
            // the source already equals it.
            plane.peer.set(source)
            rxPeer.refresh(from: plane.peer)
        }
        plane.events(.peerAuthenticated(source))
    }
}
