import Glibc
import SwvpnLinux
import SwvpnProtocol
import SwvpnTestSupport
import Synchronization
import Testing

/// One side of an in-process tunnel: a data plane on a fake device and a given link, with its events
/// recorded.
final class Side<Link: TunnelLink> {
    let device = SocketPairDevice()
    let link: Link
    let plane: DataPlane
    let log = EventLog()
    let outbound: OutboundPath

    init(
        link: Link, settings: PacketPathSettings, direction: KeyDirection, peer: SocketAddress?,
        pinnedSource: Bool = false, offload: Offload = .none, workers: Int = 1
    ) throws {
        self.link = link
        let paths = try testPaths(settings, direction)
        outbound = paths.0
        let inbound = paths.1
        plane = DataPlane(
            device: device, link: link, outbound: outbound, inbound: inbound, peer: PeerAddress(peer),
            pinnedSource: pinnedSource, offload: offload,
            helpers: try CryptoHelpers(workers: workers, key: testKey(), direction: direction, settings: settings),
            events: { [log] in log.append($0) })
    }

    /// Waits until an event matching `match` arrived (or `timeout` ms passed).
    func waitForEvent(timeout: Int = 5000, _ match: (DataPlane.Event) -> Bool) -> Bool {
        for _ in 0..<timeout / 10 {
            if log.contains(match) { return true }
            usleep(10_000)
        }
        return false
    }
}

final class EventLog: Sendable {
    private let events = Mutex<[DataPlane.Event]>([])
    func append(_ event: DataPlane.Event) { events.withLock { $0.append(event) } }
    func contains(_ match: (DataPlane.Event) -> Bool) -> Bool { events.withLock { $0.contains(where: match) } }
    func clear() { events.withLock { $0.removeAll() } }
}

/// One side's packet paths with the harness key (both sides share it; their directions differ).
func testPaths(_ settings: PacketPathSettings, _ direction: KeyDirection) throws -> (OutboundPath, InboundPath) {
    let key = try testKey()
    return (
        OutboundPath(
            settings: settings, sealer: try DataChannelSealer(key: key, direction: direction, layout: settings.layout)),
        InboundPath(
            settings: settings,
            opener: try DataChannelOpener(key: key, direction: direction, layout: settings.layout, replay: .init()))
    )
}

/// The harness key (both sides share it; their directions differ).
func testKey() throws -> StaticKey {
    try #require(StaticKey(bytes: (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }))
}

/// Settings every root-free test uses unless it needs others: AES-256-CBC + SHA256 on datagrams.
func testSettings(tcp: Bool = false, fragment: Int? = nil) -> PacketPathSettings {
    PacketPathSettings(
        layout: FrameLayout(cipher: .aes256CBC, digest: .sha256), maxFragmentSize: fragment,
        tcpFraming: tcp)
}

/// An IPv4 ICMP echo request of `size` bytes with a recognisable body (the data plane does not parse it).
func innerPacket(_ seed: Int, size: Int = 84) -> [UInt8] {
    var p = [UInt8](repeating: 0, count: size)
    p[0] = 0x45
    p[2] = UInt8(size >> 8)
    p[3] = UInt8(truncatingIfNeeded: size)
    p[8] = 64
    p[9] = 1
    p[12...15] = [10, 8, 0, 1]
    p[16...19] = [10, 8, 0, 2]
    for i in 20..<size { p[i] = UInt8(truncatingIfNeeded: seed &+ i) }
    return p
}

let addressA = SocketAddress(ipv4: 0xC000_0201, port: 1194)  // 192.0.2.1: never contacted, only reported
let addressB = SocketAddress(ipv4: 0xC000_0202, port: 1194)
let addressMoved = SocketAddress(ipv4: 0xC000_0203, port: 40000)
