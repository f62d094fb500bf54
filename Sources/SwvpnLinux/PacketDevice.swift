/// Where tunnel packets enter and leave the host: the TUN device, or a test's socketpair fake. One
/// IP packet per read and per write, nonblocking. The data plane is generic over it
/// (`PacketLoops<Device, Link>`, specialised; no existential on the packet path).
package protocol PacketDevice: AnyObject, SendableMetatype {
    /// The fd the TX loop waits on.
    var readFD: Int32 { get }
    /// Reads packets into `batch` slots at `batch.headroom` until none is ready or the batch is
    /// full; sets and returns `batch.count` (0 = nothing was ready).
    func readPackets(into batch: PacketBatch) throws(SystemError) -> Int
    /// Writes one packet; `.wouldBlock` when the device queue is full.
    func writePacket(_ packet: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int>
}

extension TUNDevice: PacketDevice {
    package var readFD: Int32 { fd }

    @inlinable
    package func readPackets(into batch: PacketBatch) throws(SystemError) -> Int { try read(into: batch) }

    @inlinable
    package func writePacket(_ packet: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try write(packet)
    }
}
