import Synchronization

/// `multihome`, as openvpn 2.6 does it: replies leave from the local address, and by the interface,
/// that the peer's packets arrive on, so a host with several addresses answers from the one the peer
/// sent to (a peer without `float` drops packets from any other).
///
/// openvpn keeps the arrival address of the packet that set its peer address (`link_socket_actual`:
/// the first authenticated packet of a session, or one from a new address) and sends every packet to
/// that peer with it. Here the RX loop latches the same packet's address, with the peer address, in
/// `latch` (rare); the TX side re-reads the latch only when its version moved (one atomic load per
/// send call) and hands every `sendmmsg` message the same prebuilt control message. A destination
/// other than the latched peer (the control plane moved it) gets none: the kernel chooses, as before
/// anything was heard.
// @unchecked: `latched`/`version` are shared (Mutex, atomic); `buffer`, `length`, `builtVersion` and
// `builtPeer` are touched only by `controlMessage`, on the TX queue (the only caller of `UDPLink.send`).
package final class MultihomeReplies: @unchecked Sendable {
    private let socketFamily: Int32
    private let latched = Mutex<(peer: SocketAddress, arrival: ArrivalAddress)?>(nil)
    private let version = Atomic<UInt64>(0)

    private let buffer: UnsafeMutableRawBufferPointer
    private var length = 0
    private var builtVersion: UInt64 = 0
    private var builtPeer: SocketAddress?

    init(socketFamily: Int32) {
        self.socketFamily = socketFamily
        buffer = .allocate(byteCount: PacketBatch.packetInfoControlRoom, alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit { buffer.deallocate() }

    /// The latched arrival address and the peer it belongs to (logs, status); nil before the peer was heard.
    package var current: (peer: SocketAddress, arrival: ArrivalAddress)? { latched.withLock { $0 } }

    /// RX queue: the peer was heard on `arrival` (nil: the datagram carried no pktinfo; kept as it was).
    func latch(peer: SocketAddress, arrival: ArrivalAddress?) {
        guard let arrival else { return }
        let changed = latched.withLock { value in
            if let old = value, old.peer == peer, old.arrival == arrival { return false }
            value = (peer, arrival)
            return true
        }
        if changed { version.add(1, ordering: .releasing) }
    }

    /// TX queue: the control message for a send to `destination`, nil if nothing was latched for it.
    @inline(__always)
    func controlMessage(to destination: SocketAddress) -> UnsafeRawBufferPointer? {
        let current = version.load(ordering: .acquiring)
        if current != builtVersion { rebuild(current) }
        guard length > 0, builtPeer == destination else { return nil }
        return UnsafeRawBufferPointer(start: buffer.baseAddress, count: length)
    }

    private func rebuild(_ current: UInt64) {
        builtVersion = current
        guard let (peer, arrival) = latched.withLock({ $0 }) else { return }
        builtPeer = peer
        length = arrival.writeControlMessage(to: buffer, socketFamily: socketFamily)
    }
}

extension UDPLink {
    package func peerHeard(_ peer: SocketAddress, slot: Int, in batch: PacketBatch) {
        multihome?.latch(peer: peer, arrival: batch.arrivalAddress(at: slot))
    }
}
