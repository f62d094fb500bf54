import SwvpnProtocol

/// The crypto of one batch, as plain data: which items to seal or open, where their bytes are, and
/// where each result goes. Written by the loop thread, which also took the packet-ids in send order;
/// any thread with a `CryptoSeat` performs a range of items. Items are disjoint in memory (their
/// own slots, or their own places in a GSO train), so shares never overlap.
///
/// Raw pointers and trivial values only: posting a job copies no reference and allocates nothing.
enum CryptoJob {
    case none
    /// Seal the TX batch's slots (tunnel packets read from the device) with the ids taken for them.
    case seal(Seal)
    /// Cut segments of a TSO super-packet into their places in a GSO train and seal each.
    case sealSegments(SealSegments)
    /// Authenticate and decrypt received datagrams (no replay check: the loop does that in order).
    case open(Open)

    struct Seal {
        /// Slot `i` starts at `slab + i * stride`; its packet length is `lengths[i]`.
        let slab: UnsafeMutableRawPointer
        let stride: Int
        let lengths: UnsafeMutablePointer<Int>
        /// `PacketIDs.none` for a packet that got no id (roll-over): it is dropped.
        let ids: UnsafeMutablePointer<UInt64>
        let results: UnsafeMutablePointer<OutboundResult>
    }

    struct SealSegments {
        let packet: UnsafeRawPointer
        let plan: TCPSegmenter.Plan
        let train: UnsafeMutableRawPointer
        let layout: SegmentTrain
        /// Item `j` is segment `firstSegment + j` of the super-packet, at `j` full segments into the train.
        let firstSegment: Int
        let ids: UnsafeMutablePointer<UInt64>
        let results: UnsafeMutablePointer<OutboundResult>
    }

    struct Open {
        let packets: UnsafeMutablePointer<UnsafeMutableRawPointer>
        let lengths: UnsafeMutablePointer<Int>
        let results: UnsafeMutablePointer<OpenResult>
    }
}

/// Packet-ids as the loop takes them, packed for a job's id array.
enum PacketIDs {
    static let none = UInt64.max

    @inline(__always)
    static func pack(_ taken: (id: UInt32, time: UInt32)?) -> UInt64 {
        guard let taken else { return none }
        return UInt64(taken.time) << 32 | UInt64(taken.id)
    }

    @inline(__always)
    static func unpack(_ packed: UInt64) -> (id: UInt32, time: UInt32) {
        (UInt32(truncatingIfNeeded: packed), UInt32(truncatingIfNeeded: packed >> 32))
    }
}

/// The crypto contexts one thread seals or opens with: the loop's own path, or a helper's (same key,
/// same direction, its own EVP contexts, HMAC states and IV DRBG). Confined to its thread.
final class CryptoSeat: @unchecked Sendable {  // used by one thread only (its worker or its loop)
    let outbound: OutboundPath?
    let inbound: InboundPath?
    /// The opener `inbound.authenticate` uses: the inbound path's own on the loop, a helper's otherwise.
    let opener: DataChannelOpener?

    init(outbound: OutboundPath) {
        self.outbound = outbound
        inbound = nil
        opener = nil
    }

    init(inbound: InboundPath, opener: DataChannelOpener) {
        outbound = nil
        self.inbound = inbound
        self.opener = opener
    }

    @inline(__always)
    func perform(_ job: CryptoJob, _ range: Range<Int>) {
        switch job {
        case .none: break
        case .seal(let j):
            for i in range { j.results[i] = seal(j.slab + i * j.stride, length: j.lengths[i], id: j.ids[i]) }
        case .sealSegments(let j):
            for i in range {
                let base = j.layout.sealBase(j.train, offset: i * j.layout.segmentWireLength)
                let length = TCPSegmenter.writeSegment(
                    j.firstSegment + i, of: j.packet, plan: j.plan, to: base + j.layout.payloadOffset)
                j.results[i] = seal(base, length: length, id: j.ids[i])
            }
        case .open(let j):
            for i in range {
                j.results[i] = inbound!.authenticate(j.packets[i], length: j.lengths[i], with: opener!)
            }
        }
    }

    /// One tunnel packet with the id the loop took for it (`PacketIDs.none`: roll-over, dropped).
    @inline(__always)
    private func seal(_ base: UnsafeMutableRawPointer, length: Int, id: UInt64) -> OutboundResult {
        id == PacketIDs.none
            ? .dropped(.packetIDRollOver)
            : outbound!.sealTunnelPacket(base, length: length, packetID: PacketIDs.unpack(id))
    }
}

/// The loop's buffers for jobs: ids and results for sealing, datagrams and results for opening.
/// Allocated once with the loops (only when there are helpers), freed with them.
struct CryptoScratch {
    let capacity: Int
    let ids: UnsafeMutablePointer<UInt64>
    let sealResults: UnsafeMutablePointer<OutboundResult>
    let packets: UnsafeMutablePointer<UnsafeMutableRawPointer>
    let lengths: UnsafeMutablePointer<Int>
    /// The RX batch slot each queued datagram came from (for its source address).
    let slots: UnsafeMutablePointer<Int>
    let openResults: UnsafeMutablePointer<OpenResult>

    init(capacity: Int) {
        self.capacity = capacity
        ids = .allocate(capacity: capacity)
        sealResults = .allocate(capacity: capacity)
        sealResults.initialize(repeating: .dropped(.noRoom), count: capacity)
        packets = .allocate(capacity: capacity)
        lengths = .allocate(capacity: capacity)
        slots = .allocate(capacity: capacity)
        openResults = .allocate(capacity: capacity)
        openResults.initialize(repeating: .dropped(.empty), count: capacity)
    }

    func free() {
        ids.deallocate()
        sealResults.deallocate()
        packets.deallocate()
        lengths.deallocate()
        slots.deallocate()
        openResults.deallocate()
    }

    var openJob: CryptoJob { .open(.init(packets: packets, lengths: lengths, results: openResults)) }
}
