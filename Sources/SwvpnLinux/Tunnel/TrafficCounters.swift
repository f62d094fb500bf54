import Synchronization

/// Byte and packet counts of one tunnel, shared by the TX queue, the RX queue and the control queue.
///
/// The loops add once per batch (relaxed: these are statistics, nothing is ordered by them), so the
/// per-packet path only touches locals.
package final class TrafficCounters: Sendable {
    package let tunReadBytes = Atomic<UInt64>(0)
    package let tunWriteBytes = Atomic<UInt64>(0)
    package let linkReadBytes = Atomic<UInt64>(0)
    package let linkWriteBytes = Atomic<UInt64>(0)
    /// Bytes of link packets that authenticated (OpenVPN's "Auth read bytes").
    package let authReadBytes = Atomic<UInt64>(0)
    package let linkReadPackets = Atomic<UInt64>(0)
    package let linkWritePackets = Atomic<UInt64>(0)

    // Drops, one counter per `PacketDrop` (an Atomic cannot live in an array; the switch below is
    // the index).
    private let badHMAC = Atomic<UInt64>(0)
    private let replayed = Atomic<UInt64>(0)
    private let undecryptable = Atomic<UInt64>(0)
    private let badFraming = Atomic<UInt64>(0)
    private let wrongSource = Atomic<UInt64>(0)
    private let noPeer = Atomic<UInt64>(0)
    private let linkSend = Atomic<UInt64>(0)
    private let tunWrite = Atomic<UInt64>(0)
    private let seal = Atomic<UInt64>(0)
    private let oversized = Atomic<UInt64>(0)

    package init() {}

    @inline(__always)
    static func add(_ counter: borrowing Atomic<UInt64>, _ value: UInt64) {
        if value != 0 { counter.add(value, ordering: .relaxed) }
    }

    /// Counts `value` packets dropped for `reason`.
    @inline(__always)
    package func add(_ reason: PacketDrop, _ value: UInt64 = 1) {
        switch reason {
        case .badHMAC: Self.add(badHMAC, value)
        case .replayed: Self.add(replayed, value)
        case .undecryptable: Self.add(undecryptable, value)
        case .badFraming: Self.add(badFraming, value)
        case .wrongSource: Self.add(wrongSource, value)
        case .noPeer: Self.add(noPeer, value)
        case .linkSend: Self.add(linkSend, value)
        case .tunWrite: Self.add(tunWrite, value)
        case .seal: Self.add(seal, value)
        case .oversized: Self.add(oversized, value)
        }
    }

    package func dropped(_ reason: PacketDrop) -> UInt64 {
        switch reason {
        case .badHMAC: badHMAC.load(ordering: .relaxed)
        case .replayed: replayed.load(ordering: .relaxed)
        case .undecryptable: undecryptable.load(ordering: .relaxed)
        case .badFraming: badFraming.load(ordering: .relaxed)
        case .wrongSource: wrongSource.load(ordering: .relaxed)
        case .noPeer: noPeer.load(ordering: .relaxed)
        case .linkSend: linkSend.load(ordering: .relaxed)
        case .tunWrite: tunWrite.load(ordering: .relaxed)
        case .seal: seal.load(ordering: .relaxed)
        case .oversized: oversized.load(ordering: .relaxed)
        }
    }

    package struct Snapshot: Sendable, Equatable {
        package var tunReadBytes: UInt64, tunWriteBytes: UInt64, linkReadBytes: UInt64, linkWriteBytes: UInt64
        package var authReadBytes: UInt64
        package var drops: DropCounts
    }

    package func snapshot() -> Snapshot {
        var drops = DropCounts()
        for reason in PacketDrop.allCases { drops[reason] = dropped(reason) }
        return Snapshot(
            tunReadBytes: tunReadBytes.load(ordering: .relaxed), tunWriteBytes: tunWriteBytes.load(ordering: .relaxed),
            linkReadBytes: linkReadBytes.load(ordering: .relaxed),
            linkWriteBytes: linkWriteBytes.load(ordering: .relaxed),
            authReadBytes: authReadBytes.load(ordering: .relaxed), drops: drops)
    }
}
