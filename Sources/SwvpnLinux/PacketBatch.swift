import CSwvpnLinux
import Glibc
import SwvpnProtocol

/// A fixed set of packet buffers plus the `mmsghdr`/`iovec`/`sockaddr_storage`/control arrays that move them
/// in one `recvmmsg`/`sendmmsg` call. Everything is allocated once, in `init`; per-batch work only rewrites the
/// header fields.
///
/// Memory: one slab of `capacity × stride` bytes, slot `i` at `slab + i × stride`, mapped lazily
/// (`mapSlab`): a slot costs resident memory only once a packet has landed in it. A packet is the byte range
/// `offset(at:) ..< offset(at:) + length(at:)` of its slot; receives land at `headroom`, so headers can be
/// written in front of the payload and trailers behind it without copying:
///
///     slot i: [ headroom ........ | payload (length) ........ | tailroom ]
///             ^ buffer(at: i)     ^ offset(at: i)
///
/// Not thread-safe: one batch belongs to one queue (the RX or the TX loop).
package final class PacketBatch {
    package let capacity: Int
    package let stride: Int
    /// Where `receive`/`read` place the first byte of each packet.
    package let headroom: Int
    /// Number of valid packets, set by the last receive/read or by the caller before a send/write.
    package var count: Int = 0

    @usableFromInline let slab: UnsafeMutableRawPointer
    @usableFromInline let offsets: UnsafeMutablePointer<Int>
    @usableFromInline let lengths: UnsafeMutablePointer<Int>
    @usableFromInline let segmentSizes: UnsafeMutablePointer<Int>
    @usableFromInline let addresses: UnsafeMutablePointer<sockaddr_storage>
    @usableFromInline let messages: UnsafeMutablePointer<swvpn_mmsghdr>
    @usableFromInline let iovecs: UnsafeMutablePointer<iovec>
    /// Per-slot control buffers: room for UDP_GRO/UDP_SEGMENT, grown once for `multihome`'s pktinfo
    /// (`reserveControlRoom`).
    @usableFromInline var controls: UnsafeMutableRawPointer
    @usableFromInline var controlStride: Int

    /// - Parameters:
    ///   - capacity: packets per batch (wireguard-go uses 128).
    ///   - stride: bytes per slot: headroom + largest payload + tailroom.
    ///   - headroom: bytes reserved in front of each received packet.
    package init(capacity: Int, stride: Int, headroom: Int = 0) {
        precondition(capacity > 0 && stride > headroom && headroom >= 0, "PacketBatch: bad geometry")
        self.capacity = capacity
        self.stride = stride
        self.headroom = headroom
        slab = Self.mapSlab(byteCount: capacity * stride)
        offsets = .allocate(capacity: capacity)
        offsets.initialize(repeating: headroom, count: capacity)
        lengths = .allocate(capacity: capacity)
        lengths.initialize(repeating: 0, count: capacity)
        segmentSizes = .allocate(capacity: capacity)
        segmentSizes.initialize(repeating: 0, count: capacity)
        addresses = .allocate(capacity: capacity)
        addresses.initialize(repeating: sockaddr_storage(), count: capacity)
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: swvpn_mmsghdr(), count: capacity)
        iovecs = .allocate(capacity: capacity)
        iovecs.initialize(repeating: iovec(), count: capacity)
        // Room for one int-sized control message: UDP_GRO delivers an int, UDP_SEGMENT takes a uint16.
        controlStride = swvpn_cmsg_space(MemoryLayout<Int32>.size)
        controls = UnsafeMutableRawPointer.allocate(byteCount: capacity * controlStride, alignment: 16)
        controls.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * controlStride)
    }

    deinit {
        munmap(slab, capacity * stride)
        offsets.deallocate()
        lengths.deallocate()
        segmentSizes.deallocate()
        addresses.deallocate()
        messages.deallocate()
        iovecs.deallocate()
        controls.deallocate()
    }

    /// Anonymous pages: they read as zero and become resident only when first written, so an idle
    /// tunnel does not hold its 64 KB offload slots (~2.6 MB per tunnel) in RSS; not through malloc,
    /// whose reused chunks would have to be zeroed (touched) up front.
    private static func mapSlab(byteCount: Int) -> UnsafeMutableRawPointer {
        let mapped = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else { fatalError("PacketBatch: cannot map \(byteCount) bytes") }
        return mapped
    }

    /// The whole slot `i` (stride bytes), for writing headers into the headroom.
    @inlinable
    package func buffer(at index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: slab + index * stride, count: stride)
    }

    /// The packet bytes of slot `i`.
    @inlinable
    package func packet(at index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: slab + index * stride + offsets[index], count: lengths[index])
    }

    @inlinable package func offset(at index: Int) -> Int { offsets[index] }
    @inlinable package func length(at index: Int) -> Int { lengths[index] }

    /// Marks bytes `offset ..< offset + length` of slot `i` as its packet (after an in-place transform).
    /// A range outside the slot is refused (false, slot left as it was): callers drop that packet
    /// as `.oversized` instead of trapping on input.
    @inlinable
    @discardableResult
    package func setPacket(at index: Int, offset: Int, length: Int) -> Bool {
        guard offset >= 0 && length >= 0 && offset <= stride - length else { return false }
        offsets[index] = offset
        lengths[index] = length
        return true
    }

    /// Source address of a received datagram, or the destination set for a send; nil if none.
    @inlinable
    package func address(at index: Int) -> SocketAddress? {
        SocketAddress(UnsafePointer(addresses + index))
    }

    /// Destination for `send`; nil sends to the connected peer.
    @inlinable
    package func setAddress(_ address: SocketAddress?, at index: Int) {
        if let address {
            _ = address.write(to: addresses + index)
        } else {
            addresses[index].ss_family = sa_family_t(AF_UNSPEC)
        }
    }

    /// UDP GRO: after a receive, the size of the coalesced segments in slot `i` (0 = a single datagram).
    /// UDP GSO: before a send, the segment size the kernel splits slot `i` into (0 = send as one datagram).
    @inlinable package func segmentSize(at index: Int) -> Int { segmentSizes[index] }
    @inlinable package func setSegmentSize(_ size: Int, at index: Int) { segmentSizes[index] = size }

    /// Points every message at its slot (from `headroom` to the end) for one `recvmmsg`.
    @inlinable
    func prepareReceive(count: Int) {
        for i in 0..<count {
            iovecs[i].iov_base = slab + i * stride + headroom
            iovecs[i].iov_len = stride - headroom
            let control = controls + i * controlStride
            messages[i].msg_hdr = msghdr(
                msg_name: UnsafeMutableRawPointer(addresses + i),
                msg_namelen: socklen_t(MemoryLayout<sockaddr_storage>.size),
                msg_iov: iovecs + i, msg_iovlen: 1,
                msg_control: control, msg_controllen: controlStride, msg_flags: 0)
            messages[i].msg_len = 0
        }
    }

    /// Reads lengths, offsets and GRO sizes back after `recvmmsg` returned `received`.
    @inlinable
    func finishReceive(received: Int) {
        for i in 0..<received {
            offsets[i] = headroom
            lengths[i] = Int(messages[i].msg_len)
            var gro = 0
            withUnsafePointer(to: &messages[i].msg_hdr) { header in
                var cmsg = swvpn_cmsg_firsthdr(header)
                while let current = cmsg {
                    if current.pointee.cmsg_level == swvpn_SOL_UDP, current.pointee.cmsg_type == swvpn_UDP_GRO {
                        gro = Int(swvpn_cmsg_data(current).loadUnaligned(as: Int32.self))
                    }
                    cmsg = swvpn_cmsg_nxthdr(header, current)
                }
            }
            segmentSizes[i] = gro
        }
        count = received
    }

    /// Points messages `start ..< start + count` at their packets and destinations for one `sendmmsg`.
    /// `source` (multihome): a prebuilt IP_PKTINFO/IPV6_PKTINFO control message every message carries;
    /// a GSO message gets it behind its UDP_SEGMENT one (the caller reserved the room).
    @inlinable
    func prepareSend(start: Int, count: Int, source: UnsafeRawBufferPointer? = nil) {
        for i in start..<(start + count) {
            iovecs[i].iov_base = slab + i * stride + offsets[i]
            iovecs[i].iov_len = lengths[i]
            let family = Int32(addresses[i].ss_family)
            let nameLength =
                family == AF_INET
                ? MemoryLayout<sockaddr_in>.size : family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : 0
            var controlLength = 0
            let control = controls + i * controlStride
            if segmentSizes[i] > 0 {
                controlLength = swvpn_cmsg_space(MemoryLayout<UInt16>.size)
                control.withMemoryRebound(to: cmsghdr.self, capacity: 1) { cmsg in
                    cmsg.pointee.cmsg_level = swvpn_SOL_UDP
                    cmsg.pointee.cmsg_type = swvpn_UDP_SEGMENT
                    cmsg.pointee.cmsg_len = swvpn_cmsg_len(MemoryLayout<UInt16>.size)
                    swvpn_cmsg_data(cmsg).storeBytes(of: UInt16(segmentSizes[i]), as: UInt16.self)
                }
            }
            var controlStart = controlLength == 0 ? nil : control
            if let source {  // Hook: multihome (UDPLink+Multihome.swift)
                if controlLength == 0 {
                    controlStart = UnsafeMutableRawPointer(mutating: source.baseAddress)
                } else {
                    (control + controlLength).copyMemory(from: source.baseAddress!, byteCount: source.count)
                }
                controlLength += source.count
            }
            messages[i].msg_hdr = msghdr(
                msg_name: nameLength == 0 ? nil : UnsafeMutableRawPointer(addresses + i),
                msg_namelen: socklen_t(nameLength),
                msg_iov: iovecs + i, msg_iovlen: 1,
                msg_control: controlStart, msg_controllen: controlLength, msg_flags: 0)
            messages[i].msg_len = 0
        }
    }
}

/// multihome: the arrival address of a received datagram, and room for it in the control buffers.
extension PacketBatch {
    /// Control bytes per slot with `multihome`: a UDP_GRO/UDP_SEGMENT message plus a pktinfo one.
    @usableFromInline static let packetInfoControlRoom =
        swvpn_cmsg_space(MemoryLayout<Int32>.size) + swvpn_pktinfo_space()

    /// Grows the per-slot control buffers to `bytes` once (the first receive or send of a multihome
    /// socket with this batch; never per packet). Without multihome nothing calls it.
    @inlinable
    func reserveControlRoom(_ bytes: Int) {
        guard controlStride < bytes else { return }
        controls.deallocate()
        controlStride = bytes
        controls = UnsafeMutableRawPointer.allocate(byteCount: capacity * bytes, alignment: 16)
        controls.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * bytes)
    }

    /// The local address and interface datagram `index` of the last receive arrived on (IP_PKTINFO /
    /// IPV6_PKTINFO); nil without them. Valid until the next receive into this batch.
    package func arrivalAddress(at index: Int) -> ArrivalAddress? {
        withUnsafePointer(to: &messages[index].msg_hdr) { header in ArrivalAddress(header) }
    }
}

/// Fragments are sealed straight into batch slots (`OutboundPath.sealTunnelPacket(..., fragments:)`).
extension PacketBatch {
    /// The slots as `OutboundPath` writes fragments into them: slab, stride and the offset/length
    /// arrays themselves, so a sealed piece is a ready packet of this batch.
    package var fragmentSlots: PacketSlots {
        PacketSlots(base: slab, stride: stride, capacity: capacity, starts: offsets, lengths: lengths)
    }

    /// The start of slot `index` (`buffer(at:)` without the bounds).
    @inlinable package func slotBase(_ index: Int) -> UnsafeMutableRawPointer { slab + index * stride }
}
