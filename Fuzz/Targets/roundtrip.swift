// Round trip: tunnel packets sealed by one side's OutboundPath and opened by the other side's
// InboundPath come back byte for byte (after the MSS clamp both sides apply), for a suite chosen by
// the input. Input: [cipher, digest, flags, fragment, packets...], packets as in `inbound` mode 2
// (a 2-byte big-endian length, then that many bytes).
//   cipher, digest: index into CipherSpec.all / DigestSpec.all (modulo).
//   flags bits 0-1: key direction (0, 3: none; 1: sender 0; 2: sender 1)
//         bits 2-3: framing (none, comp-lzo, compress/lz4 swap, stub-v2/lz4-v2)
//         bit 4: compress packets (LZO with comp-lzo, LZ4 with the others), as `allow-compression yes`
//         bit 5: no-replay (no packet-id on the wire)
//         bit 6: MSS clamp at 1000
//         bit 7: `fragment` (piece size 4 * (fragment byte + 1)); without it, TCP record headroom
@testable import SwvpnCompression
@testable import SwvpnCrypto
@testable import SwvpnProtocol

private let framings: [CompressionFraming] = [.none, .lzoPrefix, .stubSwap, .stubV2]
private let directions: [KeyDirection] = [.bidirectional, .normal, .inverse, .bidirectional]

private struct Pair {
    let outbound: OutboundPath
    let inbound: InboundPath
    let settings: PacketPathSettings
    let slots: PacketSlots
    let slab: UnsafeMutableRawBufferPointer
    let starts: UnsafeMutablePointer<Int>
    let lengths: UnsafeMutablePointer<Int>

    init?(cipher: CipherSpec, digest: DigestSpec, flags: UInt8, fragment: UInt8) {
        let layout = FrameLayout(cipher: cipher, digest: digest, replayProtection: flags & 0x20 == 0)
        let framing = framings[Int(flags >> 2) & 3]
        let fragmentSize: Int? = flags & 0x80 != 0 ? 4 * (Int(fragment) + 1) : nil
        let settings = PacketPathSettings(
            layout: layout, compression: framing, mssLimit: flags & 0x40 != 0 ? 1000 : nil,
            maxFragmentSize: fragmentSize, tunMTU: 1500, tcpFraming: fragmentSize == nil && fragment & 1 != 0)
        self.settings = settings
        let direction = directions[Int(flags & 3)]
        let compress = flags & 0x10 != 0 && framing != .none
        do {
            outbound = OutboundPath(
                settings: settings,
                sealer: try DataChannelSealer(key: goldenKey, direction: direction, layout: layout),
                fragmentSequenceSeed: fragment,
                compressor: compress ? CompressionBuffer(capacity: settings.maxTunnelPacket) : nil,
                compressionAlgorithm: framing == .lzoPrefix ? .lzo : .lz4)
            inbound = InboundPath(
                settings: settings,
                opener: try DataChannelOpener(
                    key: goldenKey, direction: direction.complement, layout: layout, replay: .init()),
                decompressor: DecompressionBuffer(capacity: settings.maxTunnelPacket))
        } catch {
            return nil  // a cipher this libcrypto lacks
        }
        let slab = UnsafeMutableRawBufferPointer.allocate(
            byteCount: settings.bufferSize * FragmentHeader.maxPieces, alignment: 64)
        let starts = UnsafeMutablePointer<Int>.allocate(capacity: FragmentHeader.maxPieces)
        let lengths = UnsafeMutablePointer<Int>.allocate(capacity: FragmentHeader.maxPieces)
        (self.slab, self.starts, self.lengths) = (slab, starts, lengths)
        slots = PacketSlots(
            base: slab.baseAddress!, stride: settings.bufferSize, capacity: FragmentHeader.maxPieces, starts: starts,
            lengths: lengths)
    }

    func release() {
        slab.deallocate()
        starts.deallocate()
        lengths.deallocate()
    }

    enum Outcome: Equatable {
        case packet([UInt8])
        case control
        case pending
        case dropped(String)
    }

    /// Opens one wire packet from an exactly-sized copy (ASan sees any read past it).
    func open(_ wire: UnsafeRawBufferPointer, now: Int64) -> Outcome {
        withExactCopy(wire) { copy -> Outcome in
            switch inbound.open(copy.baseAddress!, length: copy.count, now: now) {
            case .tunnelPacket(let packet): .packet(Array(packet))
            case .ping, .occ: .control
            case .pending: .pending
            case .dropped(let why): .dropped("\(why)")
            }
        }
    }

    /// Seals `plain`, opens what comes out, and checks it is `plain` again.
    func roundTrip(_ plain: UnsafeRawBufferPointer, now: UInt32) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: settings.bufferSize, alignment: 64)
        defer { buffer.deallocate() }
        let offset = settings.payloadOffset
        let length = min(plain.count, settings.maxTunnelPacket)
        guard length > 0 else { return }
        (buffer.baseAddress! + offset).copyMemory(from: plain.baseAddress!, byteCount: length)
        // What the receiver must deliver: the packet as the sender's MSS clamp left it.
        var expected = Array(UnsafeRawBufferPointer(rebasing: plain[0..<length]))
        if let limit = settings.mssLimit {
            _ = expected.withUnsafeMutableBytes { MSSClamp.clamp($0, ethernet: false, maxMSS: limit) }
        }
        // Ping- or OCC-shaped payloads are classified (or, malformed OCC, dropped) as the real receiver would.
        let isControl =
            (length == Ping.length && Ping.isPing(expected)) || expected.withUnsafeBytes { OCCMessage.hasMagic($0) }
        var outcome = Outcome.pending
        switch outbound.sealTunnelPacket(buffer.baseAddress!, length: length, now: now, fragments: slots) {
        case .sealed(let start, let count):
            check(count <= settings.maxWirePacket, "sealed \(count) bytes, more than maxWirePacket")
            outcome = open(UnsafeRawBufferPointer(rebasing: buffer[start..<start + count]), now: Int64(now))
        case .fragmented(let pieces):
            check(settings.maxFragmentSize != nil && pieces > 1, "fragmented into \(pieces) without fragment")
            for piece in 0..<pieces {
                let base = UnsafeRawBufferPointer(start: slots.slotBase(piece), count: settings.bufferSize)
                let start = slots.starts![piece]
                outcome = open(
                    UnsafeRawBufferPointer(rebasing: base[start..<start + slots.lengths![piece]]), now: Int64(now))
                check((outcome == .pending) == (piece < pieces - 1), "piece \(piece) of \(pieces): \(outcome)")
            }
        case .dropped(let why):
            // Only a datagram needing more than 32 fragments may be refused.
            check(why == .noRoom && settings.maxFragmentSize != nil, "seal dropped a \(length)-byte packet: \(why)")
            return
        }
        if isControl {
            if case .packet = outcome { check(false, "a ping/OCC-shaped payload was delivered as a packet") }
            return
        }
        check(outcome == .packet(expected), "round trip of a \(length)-byte packet gave \(outcome) (\(settings))")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRoundTrip(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = providersLoaded
    let bytes = input(data, size)
    guard bytes.count >= 4 else { return 0 }
    let cipher = CipherSpec.all[Int(bytes[0]) % CipherSpec.all.count]
    let digest = DigestSpec.all[Int(bytes[1]) % DigestSpec.all.count]
    guard let pair = Pair(cipher: cipher, digest: digest, flags: bytes[2], fragment: bytes[3]) else { return 0 }
    defer { pair.release() }
    var rest = UnsafeRawBufferPointer(rebasing: bytes[4...])
    var now: UInt32 = 1000
    while rest.count >= 2 {
        let length = min(Int(rest[0]) << 8 | Int(rest[1]), rest.count - 2)
        pair.roundTrip(UnsafeRawBufferPointer(rebasing: rest[2..<2 + length]), now: now)
        rest = UnsafeRawBufferPointer(rebasing: rest[(2 + length)...])
        now &+= 1
    }
    return 0
}
