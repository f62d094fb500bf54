import SwvpnProtocol

// Kernel offloads (see `Offload`): software TSO into UDP GSO trains on the way out, software GRO
// and virtio headers on the way in. Nothing here changes a wire byte.
extension PacketLoops {
    enum OffloadedRead {
        /// An ordinary packet (its checksum completed if the kernel left it to us).
        case packet
        /// A TSO super-packet to cut into segments.
        case superPacket(VirtioNetHeader)
    }

    /// Reads the virtio header in front of a device read at `base + settings.payloadOffset`.
    @inline(__always)
    func prepareOffloaded(_ base: UnsafeMutableRawPointer, length: Int) -> OffloadedRead {
        let header = VirtioNetHeader(reading: base + settings.tunReadOffset(virtioHeader: true))
        if header.gsoTypeRaw != 0 { return .superPacket(header) }
        if header.flags & VirtioNetHeader.needsChecksum != 0 {
            _ = TCPSegmenter.completeChecksum(
                UnsafeMutableRawBufferPointer(start: base + settings.payloadOffset, count: max(length, 0)),
                start: Int(header.checksumStart), offset: Int(header.checksumOffset))
        }
        return .packet
    }

    /// Software TSO + UDP GSO: cuts the super-packet into MSS-sized IP packets and seals each one
    /// straight into its place in a contiguous train of equal-size datagrams (`SegmentTrain`), which
    /// the kernel then sends with one `UDP_SEGMENT` message per ~64 KB. On the wire these are
    /// ordinary packets, one packet-id each, exactly what openvpn expects.
    func sendSuperPacket(
        _ packet: UnsafeMutableRawPointer, length: Int, header: VirtioNetHeader,
        peer: SocketAddress, now: UInt32
    ) -> UInt64 {
        let counters = plane.counters
        guard header.gsoType == .tcpv4 || header.gsoType == .tcpv6, length > 0,
            let plan = TCPSegmenter.plan(UnsafeRawBufferPointer(start: packet, count: length), mss: Int(header.gsoSize))
        else {
            counters.add(.seal)
            return 0
        }
        let layout = settings.segmentTrain(
            segmentPayload: plan.segmentLength(0), maxSegments: Tunables.maxGSOSegments,
            maxBytes: Tunables.maxGSOBytes)
        let slack = settings.trainSlack
        var bytes: UInt64 = 0
        var message = 0
        var segment = 0
        while segment < plan.count {
            let count = min(layout.segmentsPerTrain, plan.count - segment)
            let train = gsoBatch.slotBase(message) + slack
            var total = 0
            var sealed = 0
            // Serially, the train's segments are encrypted together (multi-buffer CBC) once all are framed.
            var batched = false
            if txCrypto != nil {
                (sealed, total) = sealTrainInParallel(
                    packet, plan: plan, train: train, layout: layout, first: segment, count: count, now: now)
            } else {
                batched = outbound.sealer.beginBatch()
                for j in 0..<count {
                    let base = layout.sealBase(train, offset: total)
                    let segmentLength = TCPSegmenter.writeSegment(
                        segment + j, of: packet, plan: plan,
                        to: base + settings.payloadOffset)
                    guard
                        case .sealed(let start, let wireLength) = outbound.sealTunnelPacket(
                            base, length: segmentLength, now: now),
                        start == layout.wireStart
                    else { break }
                    total += wireLength
                    sealed += 1
                }
            }
            if batched, !outbound.sealer.completeBatch() { sealed = 0 }
            if sealed < count { counters.add(.seal, UInt64(count - sealed)) }
            segment += count
            guard sealed > 0 else { continue }
            guard gsoBatch.setPacket(at: message, offset: slack, length: total) else {
                counters.add(.oversized, UInt64(sealed))
                continue
            }
            gsoBatch.setSegmentSize(sealed > 1 ? layout.segmentWireLength : 0, at: message)
            message += 1
            if message == gsoBatch.capacity {
                bytes += flush(gsoBatch, from: 0, to: message, peer: peer)
                message = 0
            }
        }
        bytes += flush(gsoBatch, from: 0, to: message, peer: peer)
        return bytes
    }

    /// Hands a decrypted packet to the device: joined into a pending GRO packet when it can be, else
    /// written now (with a virtio header when the device has them). False when the write failed.
    @inline(__always)
    func deliver(_ ip: UnsafeMutableRawBufferPointer) -> Bool {
        guard offload.tunVirtioHeader else { return write(UnsafeRawBufferPointer(ip)) }
        // Join TCP segments into one GSO write; anything else flushes what is pending first, so the
        // kernel sees packets in arrival order.
        let view = UnsafeRawBufferPointer(ip)
        if coalescer.offer(view) || (!coalescer.isEmpty && flushCoalescer() && coalescer.offer(view)) {
            return true
        }
        // The virtio header goes into the packet's former crypto header (`settings.inboundHeadroom`,
        // checked in `init`).
        let start = ip.baseAddress! - VirtioNetHeader.size
        VirtioNetHeader.plain.write(to: start)
        return write(UnsafeRawBufferPointer(start: start, count: ip.count + VirtioNetHeader.size))
    }

    /// Writes the pending coalesced packet, if any. Always returns true (for chaining in a condition).
    @inline(__always)
    @discardableResult
    func flushCoalescer() -> Bool {
        if let packet = coalescer.flush(), !write(packet) { plane.counters.add(.tunWrite) }
        return true
    }

    @inline(__always)
    private func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        do {
            if case .processed = try device.writePacket(bytes) { return true }
        } catch {}
        return false
    }
}
