/// Kernel offloads the data plane uses. Nothing changes on the wire: offloads only change how
/// many packets cross the user/kernel boundary per syscall.
package struct Offload: Sendable, Hashable {
    /// TUN opened with `IFF_VNET_HDR` and TSO: reads may be 64 KB TCP super-packets that swvpnd
    /// segments itself (software TSO) — requires `segmentation`.
    package var tunVirtioHeader: Bool
    /// UDP GSO (`UDP_SEGMENT`): one send per train of equal-size sealed packets.
    package var segmentation: Bool
    /// UDP GRO: one receive returns several datagrams from the peer back to back.
    package var receiveCoalescing: Bool

    package init(tunVirtioHeader: Bool, segmentation: Bool, receiveCoalescing: Bool) {
        self.tunVirtioHeader = tunVirtioHeader
        self.segmentation = segmentation
        self.receiveCoalescing = receiveCoalescing
    }

    package static let none = Offload(tunVirtioHeader: false, segmentation: false, receiveCoalescing: false)
}
