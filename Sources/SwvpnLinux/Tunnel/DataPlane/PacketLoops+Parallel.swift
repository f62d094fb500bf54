import SwvpnProtocol

// Crypto workers (`SWVPND_WORKERS` > 1): the loop thread takes packet-ids in send order and checks
// replay in arrival order; only sealing (MSS clamp, framing, encryption, HMAC) and opening (HMAC,
// decryption) are shared out, a batch at a time (`CryptoWorkers`). Sends and device writes happen
// afterwards on the loop thread, in the batch's order.
extension PacketLoops {
    /// Seals TX batch slots `0 ..< n` into `txScratch.sealResults` over the workers. False (nothing
    /// done, no id taken) for a batch too small to share: the loop seals it packet by packet.
    @inline(__always)
    func presealBatch(_ n: Int, now: UInt32) -> Bool {
        guard n >= CryptoWorkers.minimumItems, let scratch = txScratch else { return false }
        takePacketIDs(n, now: now, into: scratch)
        txCrypto.unsafelyUnwrapped.run(
            .seal(
                .init(
                    slab: txBatch.slab, stride: txBatch.stride, lengths: txBatch.lengths, ids: scratch.ids,
                    results: scratch.sealResults)),
            count: n)
        return true
    }

    /// Cuts segments `first ..< first + count` of a super-packet into one GSO train and seals them
    /// over the workers. Returns how many leading segments sealed (the train ends at the first that
    /// did not, as in the serial loop) and their wire bytes.
    func sealTrainInParallel(
        _ packet: UnsafeMutableRawPointer, plan: TCPSegmenter.Plan, train: UnsafeMutableRawPointer,
        layout: SegmentTrain, first: Int, count: Int, now: UInt32
    ) -> (sealed: Int, total: Int) {
        let scratch = txScratch.unsafelyUnwrapped
        takePacketIDs(count, now: now, into: scratch)
        txCrypto.unsafelyUnwrapped.run(
            .sealSegments(
                .init(
                    packet: UnsafeRawPointer(packet), plan: plan, train: train, layout: layout, firstSegment: first,
                    ids: scratch.ids, results: scratch.sealResults)),
            count: count)
        var total = 0
        var sealed = 0
        for j in 0..<count {
            // Each segment was sealed at j full segments into the train: only a gap-free prefix is sent.
            guard case .sealed(let start, let wireLength) = scratch.sealResults[j], start == layout.wireStart,
                total == j * layout.segmentWireLength
            else { break }
            total += wireLength
            sealed += 1
        }
        return (sealed, total)
    }

    /// Packet-ids for the next `count` packets, in send order, on the loop thread (the sealer's owner).
    @inline(__always)
    private func takePacketIDs(_ count: Int, now: UInt32, into scratch: CryptoScratch) {
        let sealer = outbound.sealer
        for i in 0..<count { scratch.ids[i] = PacketIDs.pack(sealer.takePacketID(now: now)) }
    }

    /// Queues a received datagram for opening over the workers (`openQueued`); opens the queue at
    /// once when it is full.
    @inline(__always)
    func queueForOpening(
        _ packet: UnsafeMutableRawPointer, length: Int, slot: Int, queued: inout Int, now: Int64,
        claim: InboundIntercept?, _ tally: inout ReceiveTally
    ) {
        let scratch = rxScratch.unsafelyUnwrapped
        scratch.packets[queued] = packet
        scratch.lengths[queued] = length
        scratch.slots[queued] = slot
        queued += 1
        if queued == scratch.capacity { openQueued(&queued, now: now, claim: claim, &tally) }
    }

    /// Authenticates and decrypts the queued datagrams over the workers, then finishes each on the
    /// loop thread in arrival order: replay check, reassembly, delivery (`receiveOne`).
    func openQueued(_ queued: inout Int, now: Int64, claim: InboundIntercept?, _ tally: inout ReceiveTally) {
        guard queued > 0 else { return }
        let scratch = rxScratch.unsafelyUnwrapped
        rxCrypto.unsafelyUnwrapped.run(scratch.openJob, count: queued)
        var slot = -1
        var source: SocketAddress?
        for k in 0..<queued {
            if scratch.slots[k] != slot {
                slot = scratch.slots[k]
                source = rxBatch.address(at: slot)
            }
            receiveOne(
                scratch.packets[k], length: scratch.lengths[k], source: source, slot: slot, now: now, claim: claim,
                &tally,
                authenticated: scratch.openResults[k])
        }
        queued = 0
    }
}
