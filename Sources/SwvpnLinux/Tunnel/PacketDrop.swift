import SwvpnProtocol

/// Why the data plane dropped a packet: one counter each (`TrafficCounters`), summarised by the
/// control queue at most once per 10 s. The description is the summary's wording.
package enum PacketDrop: Int, CaseIterable, Sendable, CustomStringConvertible {
    case badHMAC
    case replayed
    case undecryptable
    case badFraming
    case wrongSource
    case noPeer
    case linkSend
    case tunWrite
    case seal
    /// A packet outside its buffer slot, or too long for the link's framing: input the path cannot
    /// carry, dropped instead of trapping.
    case oversized

    package var description: String {
        switch self {
        case .badHMAC: "bad HMAC"
        case .replayed: "replayed"
        case .undecryptable: "undecryptable"
        case .badFraming: "bad framing"
        case .wrongSource: "wrong source"
        case .noPeer: "no peer yet"
        case .linkSend: "link send failed"
        case .tunWrite: "tun write failed"
        case .seal: "seal failed"
        case .oversized: "oversized"
        }
    }

    /// The counter an inbound drop of the packet path goes to.
    package init(_ drop: InboundDrop) {
        switch drop {
        case .crypto(.badHMAC), .crypto(.tooShort), .crypto(.empty): self = .badHMAC
        case .crypto(.replayed): self = .replayed
        case .crypto: self = .undecryptable
        case .fragment, .compression, .empty: self = .badFraming
        }
    }
}

/// Drop counts by reason at one moment (a snapshot; the control queue's, never per packet).
package struct DropCounts: Sendable, Equatable {
    private var values = [UInt64](repeating: 0, count: PacketDrop.allCases.count)

    package init() {}

    package subscript(drop: PacketDrop) -> UInt64 {
        get { values[drop.rawValue] }
        set { values[drop.rawValue] = newValue }
    }

    /// The reasons that grew since `earlier`, with how much, in `PacketDrop.allCases` order.
    package func since(_ earlier: DropCounts) -> [(PacketDrop, UInt64)] {
        PacketDrop.allCases.compactMap { drop in
            let delta = self[drop] &- earlier[drop]
            return delta > 0 ? (drop, delta) : nil
        }
    }
}
