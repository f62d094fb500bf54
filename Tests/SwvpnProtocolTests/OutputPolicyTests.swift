import SwvpnProtocol
import Testing

/// `shaper` on a virtual clock and `passtos`'s TOS reading; no real time anywhere.
@Suite struct OutputPolicyTests {
    @Test func shaperLetsTheBurstGoThenPacesAtTheRate() {
        // 1000 bytes/s, 10 ms burst: 1000-byte packets cost 1 s each.
        var shaper = TrafficShaper(bytesPerSecond: 1000, burstNanoseconds: 10_000_000)
        let second: Int64 = 1_000_000_000
        var now: Int64 = 5 * second
        #expect(shaper.delay(now: now) == 0)
        shaper.charge(wireBytes: 1000, now: now)
        #expect(shaper.delay(now: now) == second - 10_000_000)
        now += shaper.delay(now: now)
        #expect(shaper.delay(now: now) == 0)
        // Sending whenever the shaper allows, from 5 s to 15 s: at 5 s, then 5.99 s, 6.99 s, ... 14.99 s.
        var sent = 1
        while true {
            now += shaper.delay(now: now)
            if now >= 15 * second { break }
            shaper.charge(wireBytes: 1000, now: now)
            sent += 1
        }
        #expect(sent == 11)
    }

    @Test func shaperCountsAtLeastOpenVPNsMinimumAndCapsAtTenSeconds() {
        var small = TrafficShaper(bytesPerSecond: 100, burstNanoseconds: 0)
        small.charge(wireBytes: 20, now: 0)
        #expect(small.delay(now: 0) == 1_000_000_000)  // 100 bytes at 100 B/s
        var huge = TrafficShaper(bytesPerSecond: 100, burstNanoseconds: 0)
        huge.charge(wireBytes: 65_535, now: 0)
        #expect(huge.delay(now: 0) == TrafficShaper.maximumDelayNanoseconds)
    }

    @Test func idleTimeIsNotSavedUpBeyondTheBurst() {
        var shaper = TrafficShaper(bytesPerSecond: 1_000_000, burstNanoseconds: 1_000_000)  // 1 ms = 1000 bytes
        shaper.charge(wireBytes: 500, now: 0)
        let later: Int64 = 60_000_000_000
        shaper.charge(wireBytes: 1000, now: later)  // a minute idle buys nothing extra
        #expect(shaper.delay(now: later) == 0)  // 1000 bytes = 1 ms, exactly the burst
        shaper.charge(wireBytes: 1000, now: later)
        #expect(shaper.delay(now: later) == 1_000_000)
    }

    private func tos(_ bytes: [UInt8], ethernet: Bool = false) -> UInt8? {
        bytes.withUnsafeBytes { TypeOfService.ipv4($0, ethernet: ethernet) }
    }

    @Test func tosOfIPv4PacketsAndFramesOnly() {
        var ipv4 = [UInt8](repeating: 0, count: 28)
        ipv4[0] = 0x45
        ipv4[1] = 0xB8  // EF
        #expect(tos(ipv4) == 0xB8)
        var ipv6 = [UInt8](repeating: 0, count: 40)
        ipv6[0] = 0x60
        #expect(tos(ipv6) == nil)
        #expect(tos(Array(ipv4.prefix(19))) == nil)  // shorter than an IPv4 header
        let ethernet: [UInt8] = Array(repeating: 0xAA, count: 12) + [0x08, 0x00] + ipv4
        #expect(tos(ethernet, ethernet: true) == 0xB8)
        let tagged: [UInt8] = Array(repeating: 0xAA, count: 12) + [0x81, 0x00, 0x00, 0x05, 0x08, 0x00] + ipv4
        #expect(tos(tagged, ethernet: true) == 0xB8)
        let arp: [UInt8] = Array(repeating: 0xAA, count: 12) + [0x08, 0x06] + ipv4
        #expect(tos(arp, ethernet: true) == nil)
    }
}
