import SwvpnCrypto

/// openvpn's `--test-crypto`: seal and open payloads of every length from 1 to `maxLength` with the
/// real sealer and opener of a configuration, in memory, and check each comes back byte for byte.
///
/// Unlike openvpn 2.6 (which opens with the sending key and so fails with a key direction), the
/// opener takes the peer's side of the key, so directional keys pass too.
public struct CryptoSelfTest {
    public let layout: FrameLayout
    private let sealer: DataChannelSealer
    private let opener: DataChannelOpener

    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        case sealFailed(length: Int, SealFailure)
        case openFailed(length: Int, DropReason)
        case mismatch(length: Int)

        public var description: String {
            switch self {
            case .sealFailed(let length, let why): "packet length=\(length): sealing failed (\(why))"
            case .openFailed(let length, let why): "packet length=\(length): opening failed (\(why))"
            case .mismatch(let length): "packet length=\(length): opened payload differs from the sealed one"
            }
        }
    }

    public init(key: StaticKey, direction: KeyDirection, layout: FrameLayout) throws(CryptoError) {
        self.layout = layout
        sealer = try DataChannelSealer(key: key, direction: direction, layout: layout)
        opener = try DataChannelOpener(key: key, direction: direction.complement, layout: layout, replay: nil)
    }

    /// Runs lengths 1...maxLength in order; `progress` sees each length before it is tried.
    public func run(maxLength: Int, now: UInt32, progress: (Int) -> Void = { _ in }) throws(Failure) {
        let pattern: [UInt8]
        do {
            pattern = try SecureRandom.bytes(count: maxLength)
        } catch {
            throw .sealFailed(length: 0, .randomFailure)
        }
        let headroom = layout.cryptoHeadroom
        let capacity = headroom + maxLength + layout.tailroom
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        for length in 1...maxLength {
            progress(length)
            pattern.withUnsafeBytes { (buffer + headroom).copyMemory(from: $0.baseAddress!, byteCount: length) }
            let wire: (start: Int, length: Int)
            switch sealer.seal(buffer, payloadOffset: headroom, payloadLength: length, capacity: capacity, now: now) {
            case .sealed(let start, let wireLength): wire = (start, wireLength)
            case .dropped(let why): throw .sealFailed(length: length, why)
            }
            switch opener.open(buffer + wire.start, length: wire.length, now: Int64(now)) {
            case .payload(let offset, let opened, _, _):
                let same =
                    opened == length
                    && pattern.withUnsafeBytes {
                        memoryEqual(buffer + wire.start + offset, $0.baseAddress!, length)
                    }
                if !same { throw .mismatch(length: length) }
            case .dropped(let why):
                throw .openFailed(length: length, why)
            }
        }
    }
}

private func memoryEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
    for index in 0..<count
    where a.load(fromByteOffset: index, as: UInt8.self) != b.load(fromByteOffset: index, as: UInt8.self) {
        return false
    }
    return true
}
