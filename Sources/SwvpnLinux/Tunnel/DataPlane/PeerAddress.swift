import Synchronization

/// The peer's current link address: written rarely (first packet, float, restart, the remote's name
/// resolving), read once per batch by both loops, which re-read the value only when the version moved.
/// With a pinned source it is also the only address the RX loop accepts, so setting it pins at runtime.
package final class PeerAddress: Sendable {
    private let value: Mutex<SocketAddress?>
    private let versionCounter = Atomic<UInt64>(0)

    package init(_ initial: SocketAddress?) { value = Mutex(initial) }

    package var version: UInt64 { versionCounter.load(ordering: .acquiring) }
    package var current: SocketAddress? { value.withLock { $0 } }

    package func set(_ address: SocketAddress?) {
        value.withLock { $0 = address }
        versionCounter.add(1, ordering: .releasing)
    }

    /// Sets `address` only if the current one is `expected` (`float`: a peer an authenticated packet
    /// moved is kept); true if set.
    @discardableResult
    package func set(_ address: SocketAddress, ifCurrentIs expected: SocketAddress?) -> Bool {
        let set = value.withLock {
            guard $0 == expected else { return false }
            $0 = address
            return true
        }
        if set { versionCounter.add(1, ordering: .releasing) }
        return set
    }

    /// A loop's copy of the address, re-read only when the version moved (one atomic load per batch).
    struct Cache {
        private var version: UInt64 = .max
        private(set) var address: SocketAddress?

        @inline(__always)
        mutating func refresh(from peer: PeerAddress) {
            let current = peer.version
            if current != version {
                address = peer.current
                version = current
            }
        }
    }
}
