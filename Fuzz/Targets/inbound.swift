// The whole receive path, InboundPath.open, fed random datagrams for a set of cipher/auth,
// compression, fragment and key-direction suites. Input: [suite, mode, bytes...]:
//   mode 0: bytes are the datagram as received (seeds: captured openvpn packets, which verify);
//   mode 1: bytes are IV ‖ ciphertext and the target prepends a valid HMAC, so decryption,
//           padding and packet-id parsing see arbitrary input;
//   mode 2: bytes are plaintext payloads, each with a 2-byte big-endian length in front, sealed
//           with the peer's key and delivered in order, so fragment reassembly (several
//           pieces), compression unframing, ping/OCC classification and the MSS clamp do.
@testable import SwvpnCrypto
@testable import SwvpnProtocol

struct Suite {
    let layout: FrameLayout
    var compression: CompressionFraming = .none
    var fragment: Int? = nil
    var mss: Int? = nil
    var direction: KeyDirection = .bidirectional
    var tcp = false
}

// Index = first input byte modulo the count; seeds (Fuzz/Corpus/inbound) rely on the order.
let suites: [Suite] = [
    Suite(layout: FrameLayout(cipher: .bfCBC, digest: .sha1)),
    Suite(layout: FrameLayout(cipher: .aes256CBC, digest: .sha256), direction: .normal),
    Suite(layout: FrameLayout(cipher: .aes256CBC, digest: .sha256), direction: .inverse),
    Suite(layout: FrameLayout(cipher: .aes128CBC, digest: .sha512), compression: .lzoPrefix, direction: .normal),
    Suite(layout: FrameLayout(cipher: .aes256CBC, digest: .sha256), compression: .stubSwap, direction: .normal),
    Suite(layout: FrameLayout(cipher: .aes256CBC, digest: .sha256, replayProtection: false), fragment: 900, direction: .normal),
    Suite(layout: FrameLayout(cipher: .none, digest: .none)),
    Suite(layout: FrameLayout(cipher: .aes256CBC, digest: .sha256), direction: .normal, tcp: true),
    Suite(layout: FrameLayout(cipher: .none, digest: .sha1), compression: .stubV2, mss: 1360, direction: .inverse),
    Suite(layout: FrameLayout(cipher: .aes128CBC, digest: .none), compression: .lzoPrefix, fragment: 500),
    Suite(layout: FrameLayout(cipher: .desEDE3CBC, digest: .md5), mss: 1200),
    Suite(layout: FrameLayout(cipher: .camellia256CBC, digest: .sha384), compression: .stubV2, fragment: 1300, mss: 1000,
          direction: .normal),
]

final class Lane: @unchecked Sendable {
    let inbound: InboundPath
    let sealer: DataChannelSealer
    let hmac: HMACContext?

    init(_ suite: Suite) throws {
        let settings = PacketPathSettings(
            layout: suite.layout, compression: suite.compression, mssLimit: suite.mss,
            maxFragmentSize: suite.fragment, tunMTU: 1500, tcpFraming: suite.tcp)
        inbound = InboundPath(
            settings: settings,
            opener: try DataChannelOpener(key: goldenKey, direction: suite.direction, layout: suite.layout, replay: .init()))
        sealer = try DataChannelSealer(key: goldenKey, direction: suite.direction.complement, layout: suite.layout)
        hmac = try DataChannelKeys.hmac(suite.layout.digest, key: goldenKey, slot: suite.direction.receiveSlot)
    }
}

let lanes: [Lane] = {
    do {
        try CryptoProviders.load(["legacy", "default"])  // BF-CBC, as `providers legacy default`
        return try suites.map(Lane.init)
    } catch {
        fatalError("fuzz setup: \(error)")
    }
}()

private func deliver(_ lane: Lane, _ buffer: UnsafeMutableRawPointer, length: Int) {
    let result = lane.inbound.open(buffer, length: length, now: 1000)
    switch result {
    case .tunnelPacket(let packet):
        // Inside the datagram, or inside the reassembly slot it was rebuilt in.
        let limit = max(length, lane.inbound.settings.maxTunnelPacket + 8)
        check(packet.count > 0 && packet.count <= limit, "tunnel packet of \(packet.count), limit \(limit)")
        // Touch every byte, as the TUN write would.
        var sum: UInt8 = 0
        for byte in packet { sum &+= byte }
        _ = sum
    case .occ(let message):
        if case .reply(let text) = message { _ = OCCMessage.sanitized(text) }
    case .ping, .pending, .dropped:
        break
    }
}

private func sealAndDeliver(_ lane: Lane, _ payload: UnsafeRawBufferPointer) {
    let layout = lane.sealer.layout
    let offset = layout.cryptoHeadroom
    let capacity = offset + payload.count + layout.tailroom
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(capacity, 1), alignment: 16)
    defer { buffer.deallocate() }
    if payload.count > 0 { (buffer.baseAddress! + offset).copyMemory(from: payload.baseAddress!, byteCount: payload.count) }
    guard case .sealed(let start, let length) = lane.sealer.seal(
        buffer.baseAddress!, payloadOffset: offset, payloadLength: payload.count, capacity: capacity, now: 1000)
    else { return }
    withExactCopy(UnsafeRawBufferPointer(rebasing: buffer[start..<start + length])) {
        deliver(lane, $0.baseAddress!, length: $0.count)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInbound(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    guard bytes.count >= 2 else { return 0 }
    let lane = lanes[Int(bytes[0]) % lanes.count]
    let body = UnsafeRawBufferPointer(rebasing: bytes[2...])
    switch bytes[1] % 3 {
    case 0:
        withExactCopy(body) { deliver(lane, $0.baseAddress!, length: $0.count) }
    case 1:
        guard let hmac = lane.hmac else { return 0 }
        let length = hmac.length + body.count
        let wire = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 16)
        defer { wire.deallocate() }
        if body.count > 0 { (wire.baseAddress! + hmac.length).copyMemory(from: body.baseAddress!, byteCount: body.count) }
        check(hmac.authenticate(wire.baseAddress! + hmac.length, count: body.count, into: wire.baseAddress!), "HMAC failed")
        deliver(lane, wire.baseAddress!, length: length)
    default:
        var rest = body
        while rest.count >= 2 {
            let length = min(Int(rest[0]) << 8 | Int(rest[1]), rest.count - 2)
            sealAndDeliver(lane, UnsafeRawBufferPointer(rebasing: rest[2..<2 + length]))
            rest = UnsafeRawBufferPointer(rebasing: rest[(2 + length)...])
        }
    }
    // Each input stands alone: fresh replay window, no fragments left over.
    lane.inbound.resetSession()
    lane.inbound.expireFragments(now: 1_000_000)
    return 0
}
