import CSwvpnLinux
import Glibc

/// A layer-3 TUN interface (`IFF_TUN | IFF_NO_PI`): each read or write is exactly one IP packet; or
/// with `.tap` a layer-2 TAP interface (`IFF_TAP`), where each is one Ethernet frame.
/// The fd is nonblocking and close-on-exec; closing it (deinit) removes a non-persistent device.
package final class TUNDevice {
    private let owned: OwnedFD
    package var fd: Int32 { owned.raw }
    /// The kernel's name for the device, e.g. `tun0`.
    package let name: String
    package let ifindex: Int32
    /// `dev null`: no device behind the fd (see `init(null:)`); writes are thrown away.
    @usableFromInline let discards: Bool

    package struct Options: OptionSet, Sendable {
        package let rawValue: Int32
        package init(rawValue: Int32) { self.rawValue = rawValue }
        /// `IFF_MULTI_QUEUE`: open the same name again for one queue per core.
        package static let multiQueue = Options(rawValue: SWVPN_TUN_MULTI_QUEUE)
        /// `IFF_VNET_HDR`: packets carry a `virtio_net_hdr` prefix (needed for TUN offloads).
        package static let virtioHeader = Options(rawValue: SWVPN_TUN_VNET_HDR)
        /// `IFF_TAP`: an Ethernet device (openvpn's `dev tap`).
        package static let tap = Options(rawValue: SWVPN_TUN_TAP)
    }

    /// Opens a TUN (or TAP) device. `name` follows OpenVPN's `dev`: nil, `tun` or `tap` lets the kernel
    /// pick `tunN`/`tapN`; a name ending in a digit (`tun0`) or containing `%d` is used as given.
    /// Where TUN/TAP devices are cloned from, unless `dev-node` names another path.
    package static let defaultClonePath = "/dev/net/tun"

    package init(
        name requested: String? = nil, options: Options = [], clonePath: String = TUNDevice.defaultClonePath
    ) throws(SystemError) {
        var pattern = requested ?? (options.contains(.tap) ? "tap" : "tun")
        if !pattern.contains("%d"), pattern.last.map({ !$0.isNumber }) ?? true {
            pattern += "%d"
        }
        var kernelName = [CChar](repeating: 0, count: Int(SWVPN_IFNAMSIZ))
        let owned = OwnedFD(
            Int32(
                try syscallNoWait(
                    clonePath == Self.defaultClonePath ? "TUNSETIFF \(pattern)" : "TUNSETIFF \(pattern) on \(clonePath)"
                ) {
                    Int(swvpn_tun_open_at(clonePath, pattern, &kernelName, options.rawValue))
                }))
        let name = string(fromCBuffer: kernelName)
        // On failure `owned` is dropped here, which closes the new device.
        ifindex = Int32(try syscallNoWait("if_nametoindex \(name)") { Int(swvpn_ifindex(kernelName)) })
        self.name = name
        self.owned = owned
        discards = false
    }

    /// `dev null`, as openvpn 2.6 does it: no device at all. The fd is an eventfd nothing ever writes,
    /// so the TX loop waits on it forever and reads nothing; every decrypted packet written here is
    /// discarded (and counted like a device write). Named `null`, interface index 0.
    package init(null: Void) throws(SystemError) {
        owned = OwnedFD(Int32(try syscallNoWait("eventfd (dev null)") { Int(swvpn_null_device_fd()) }))
        name = "null"
        ifindex = 0
        discards = true
    }

    /// Adopts an already attached TUN fd (inherited from a privileged parent, like wireguard-go's `WG_TUN_FD`).
    package init(adopting fd: consuming OwnedFD, name: String) throws(SystemError) {
        try setNonBlocking(fd.raw, what: name)
        ifindex = Int32(try syscallNoWait("if_nametoindex \(name)") { Int(swvpn_ifindex(name)) })
        self.name = name
        owned = fd
        discards = false
    }

    /// Sets a tap device's Ethernet address (openvpn's `lladdr`).
    package func setHardwareAddress(_ address: [UInt8]) throws(SystemError) {
        precondition(address.count == 6, "an Ethernet address has 6 bytes")
        _ = try syscallNoWait("SIOCSIFHWADDR \(name)") { Int(swvpn_set_hwaddr(name, address)) }
    }

    /// `TUNSETOFFLOAD` with `TUN_F_*` flags (requires `.virtioHeader`).
    package func setOffload(_ flags: UInt32) throws(SystemError) {
        _ = try syscallNoWait("TUNSETOFFLOAD \(name)") { Int(swvpn_tun_set_offload(fd, flags)) }
    }

    /// Reads one packet into `buffer`; returns its length or `.wouldBlock`.
    @inlinable
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try syscall("read tun") { swvpn_read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Writes one packet; returns the bytes written or `.wouldBlock`.
    @inlinable
    package func write(_ packet: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        if discards { return .processed(packet.count) }  // dev null: the packet ends here
        return try syscall("write tun") { swvpn_write(fd, packet.baseAddress, packet.count) }
    }

    /// Reads up to `maxCount` packets into `batch` slots at `batch.headroom` until the queue is empty.
    /// Sets `batch.count` and returns it (0 = nothing was ready).
    @inlinable
    package func read(into batch: PacketBatch, maxCount: Int? = nil) throws(SystemError) -> Int {
        let limit = min(maxCount ?? batch.capacity, batch.capacity)
        var received = 0
        while received < limit {
            let slot = batch.buffer(at: received)
            let result = try syscall("read tun") {
                swvpn_read(fd, slot.baseAddress! + batch.headroom, slot.count - batch.headroom)
            }
            guard case .processed(let length) = result else { break }
            batch.setPacket(at: received, offset: batch.headroom, length: length)
            received += 1
        }
        batch.count = received
        return received
    }

    /// Writes packets `start ..< start + count` of `batch`; returns how many went out before the device
    /// queue filled (`.wouldBlock` on the first one gives 0).
    @inlinable
    package func write(from batch: PacketBatch, start: Int = 0, count: Int) throws(SystemError) -> Int {
        var written = 0
        while written < count {
            let packet = batch.packet(at: start + written)
            let result = try syscall("write tun") { swvpn_write(fd, packet.baseAddress, packet.count) }
            guard case .processed = result else { break }
            written += 1
        }
        return written
    }
}
