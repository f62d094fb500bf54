import Synchronization
import SwvpnProtocol

/// Byte and packet counts of one tunnel, shared by the TX queue, the RX queue and the control queue.
///
/// The loops add once per batch (relaxed: these are statistics, nothing is ordered by them), so the
/// per-packet path only touches locals.
public final class TrafficCounters: Sendable {
    public let tunReadBytes = Atomic<UInt64>(0)
    public let tunWriteBytes = Atomic<UInt64>(0)
    public let linkReadBytes = Atomic<UInt64>(0)
    public let linkWriteBytes = Atomic<UInt64>(0)
    /// Bytes of link packets that authenticated (OpenVPN's "Auth read bytes").
    public let authReadBytes = Atomic<UInt64>(0)
    public let linkReadPackets = Atomic<UInt64>(0)
    public let linkWritePackets = Atomic<UInt64>(0)

    // Drops, by cause. Read and reset by the control queue's rate-limited summary.
    public let droppedBadHMAC = Atomic<UInt64>(0)
    public let droppedReplay = Atomic<UInt64>(0)
    public let droppedCrypto = Atomic<UInt64>(0)
    public let droppedFraming = Atomic<UInt64>(0)
    public let droppedSource = Atomic<UInt64>(0)
    public let droppedNoPeer = Atomic<UInt64>(0)
    public let droppedLinkSend = Atomic<UInt64>(0)
    public let droppedTUNWrite = Atomic<UInt64>(0)
    public let droppedSeal = Atomic<UInt64>(0)

    public init() {}

    @inline(__always)
    static func add(_ counter: borrowing Atomic<UInt64>, _ value: UInt64) {
        if value != 0 { counter.add(value, ordering: .relaxed) }
    }

    public struct Snapshot: Sendable, Equatable {
        public var tunReadBytes: UInt64, tunWriteBytes: UInt64, linkReadBytes: UInt64, linkWriteBytes: UInt64
        public var authReadBytes: UInt64
        public var drops: [(String, UInt64)]
        public static func == (a: Snapshot, b: Snapshot) -> Bool {
            a.tunReadBytes == b.tunReadBytes && a.tunWriteBytes == b.tunWriteBytes
                && a.linkReadBytes == b.linkReadBytes && a.linkWriteBytes == b.linkWriteBytes
                && a.authReadBytes == b.authReadBytes && a.drops.map(\.1) == b.drops.map(\.1)
        }
    }

    public func snapshot() -> Snapshot {
        Snapshot(
            tunReadBytes: tunReadBytes.load(ordering: .relaxed), tunWriteBytes: tunWriteBytes.load(ordering: .relaxed),
            linkReadBytes: linkReadBytes.load(ordering: .relaxed),
            linkWriteBytes: linkWriteBytes.load(ordering: .relaxed),
            authReadBytes: authReadBytes.load(ordering: .relaxed),
            drops: [
                ("bad HMAC", droppedBadHMAC.load(ordering: .relaxed)),
                ("replayed", droppedReplay.load(ordering: .relaxed)),
                ("undecryptable", droppedCrypto.load(ordering: .relaxed)),
                ("bad framing", droppedFraming.load(ordering: .relaxed)),
                ("wrong source", droppedSource.load(ordering: .relaxed)),
                ("no peer yet", droppedNoPeer.load(ordering: .relaxed)),
                ("link send failed", droppedLinkSend.load(ordering: .relaxed)),
                ("tun write failed", droppedTUNWrite.load(ordering: .relaxed)),
                ("seal failed", droppedSeal.load(ordering: .relaxed)),
            ])
    }

    /// Counts one inbound drop; called once per dropped packet (rare on a healthy link).
    func countInboundDrop(_ drop: InboundDrop) {
        switch drop {
        case .crypto(.badHMAC), .crypto(.tooShort), .crypto(.empty): Self.add(droppedBadHMAC, 1)
        case .crypto(.replayed): Self.add(droppedReplay, 1)
        case .crypto: Self.add(droppedCrypto, 1)
        case .fragment, .compression, .empty: Self.add(droppedFraming, 1)
        }
    }
}
