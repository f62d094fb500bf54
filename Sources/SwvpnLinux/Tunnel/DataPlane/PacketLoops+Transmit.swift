import SwvpnProtocol

// The TX loop: device → seal → link, on the TX queue (steps 1-6 of the outbound packet walk).
extension PacketLoops {
    func runDeviceToLink() {
        txPeer.refresh(from: plane.peer)
        let counters = plane.counters
        let now = Clock.wallSeconds()
        var deviceBytes: UInt64 = 0
        var linkBytes: UInt64 = 0
        var sentAny = false
        var spins = 0
        for _ in 0..<Tunables.roundsPerWake {
            let n: Int
            do {
                n = try device.readPackets(into: txBatch)
            } catch {
                plane.events(.tunFailed(error.description))
                return
            }
            if n == 0 {
                if pollAgain(&spins, active: sentAny) { continue }
                break
            }
            guard let peer = txPeer.address else {
                for i in 0..<n { deviceBytes += UInt64(txBatch.length(at: i)) }
                counters.add(.noPeer, UInt64(n))
                continue
            }
            // Seal in place; send contiguous runs so a rare drop or fragmentation keeps order.
            // With crypto workers a plain batch is sealed as a whole first (PacketLoops+Parallel).
            let presealed = presealsBatches && presealBatch(n, now: now)
            var runStart = 0
            for i in 0..<n {
                var length = txBatch.length(at: i)
                let base = txBatch.slotBase(i)
                // Hook: passtos, shaper (PacketLoops+OutputPolicy.swift); a nil check without them.
                if outputPolicy != nil {
                    runStart = applyOutputPolicy(packetAt: i, runStart: runStart, peer: peer, linkBytes: &linkBytes)
                }
                if offload.tunVirtioHeader {
                    length -= VirtioNetHeader.size
                    switch prepareOffloaded(base, length: length) {
                    case .superPacket(let header):
                        // Cut, seal and send it as UDP GSO trains, after what came before.
                        deviceBytes += UInt64(max(length, 0))
                        linkBytes += flush(txBatch, from: runStart, to: i, peer: peer)
                        linkBytes += sendSuperPacket(
                            base + settings.payloadOffset, length: length, header: header,
                            peer: peer, now: now)
                        runStart = i + 1
                        continue
                    case .packet:
                        break
                    }
                }
                deviceBytes += UInt64(length)
                let result =
                    presealed
                    ? txScratch.unsafelyUnwrapped.sealResults[i]
                    : outbound.sealTunnelPacket(base, length: length, now: now, fragments: fragmentSlots)
                switch result {
                case .sealed(let start, let wireLength):
                    if streamLink && !TCPFraming.canFrame(length: wireLength) {
                        // A `tun-mtu` near 64 KB can seal packets no 16-bit record length carries.
                        counters.add(.oversized)
                        linkBytes += flush(txBatch, from: runStart, to: i, peer: peer)
                        runStart = i + 1
                        continue
                    }
                    // Counted when its run is flushed.
                    txBatch.setPacket(at: i, offset: start, length: wireLength)
                case .fragmented(let count):
                    linkBytes += flush(txBatch, from: runStart, to: i, peer: peer)
                    linkBytes += flush(fragmentBatch, from: 0, to: count, peer: peer)
                    runStart = i + 1
                case .dropped:
                    counters.add(.seal)
                    linkBytes += flush(txBatch, from: runStart, to: i, peer: peer)
                    runStart = i + 1
                }
            }
            linkBytes += flush(txBatch, from: runStart, to: n, peer: peer)
            sentAny = true
            if outputPolicy?.shaper != nil { break }  // Hook: shaper: one paced batch per wake-up
            if n < txBatch.capacity && !pollAgain(&spins, active: true) { break }
        }
        TrafficCounters.add(counters.tunReadBytes, deviceBytes)
        TrafficCounters.add(counters.linkWriteBytes, linkBytes)
        if sentAny { plane.lastSent.store(Clock.monotonicSeconds(), ordering: .relaxed) }
    }

    /// Sends packets `from ..< to` of `batch`; returns the wire bytes handed to the link.
    @inline(__always)
    func flush(_ batch: PacketBatch, from: Int, to: Int, peer: SocketAddress) -> UInt64 {
        guard to > from else { return 0 }
        let counters = plane.counters
        do {
            let lost = try link.send(batch, start: from, count: to - from, to: peer)
            counters.add(.linkSend, UInt64(lost))
            TrafficCounters.add(counters.linkWritePackets, UInt64(to - from - lost))
        } catch {
            counters.add(.linkSend, UInt64(to - from))
            plane.events(.linkFailed(error.description))
            return 0
        }
        var bytes: UInt64 = 0
        for i in from..<to { bytes += UInt64(batch.length(at: i)) }
        if outputPolicy != nil { chargeShaper(bytes: bytes, packets: to - from) }  // Hook: shaper
        return bytes
    }

    /// Seals a ping, OCC message or injected inner packet on the TX queue (the sealer's owner).
    func sendControl(_ message: ControlMessage) {
        txQueue.async { [self] in
            let now = Clock.wallSeconds()
            let base = controlBatch.slotBase(0)
            let result: OutboundResult
            switch message {
            case .ping: result = outbound.sealPing(base, now: now, fragments: fragmentSlots)
            case .occ(let m): result = outbound.sealOCC(m, base, now: now, fragments: fragmentSlots)
            case .innerPacket(let write):
                let room = UnsafeMutableRawBufferPointer(start: base + settings.payloadOffset, count: settings.tunMTU)
                let length = write(room)
                guard length > 0 else { return }
                result = outbound.sealTunnelPacket(
                    base, length: min(length, settings.tunMTU), now: now,
                    fragments: fragmentSlots)
            }
            transmitSingle(result)
        }
    }

    private func transmitSingle(_ result: OutboundResult) {
        txPeer.refresh(from: plane.peer)
        guard let peer = txPeer.address else { return }
        var bytes: UInt64 = 0
        switch result {
        case .sealed(let start, let length):
            controlBatch.setPacket(at: 0, offset: start, length: length)
            bytes = flush(controlBatch, from: 0, to: 1, peer: peer)
        case .fragmented(let count):
            bytes = flush(fragmentBatch, from: 0, to: count, peer: peer)
        case .dropped:
            plane.counters.add(.seal)
        }
        TrafficCounters.add(plane.counters.linkWriteBytes, bytes)
        plane.lastSent.store(Clock.monotonicSeconds(), ordering: .relaxed)
    }
}
