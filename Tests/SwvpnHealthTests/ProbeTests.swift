import Testing

@testable import SwvpnHealth

struct ProbeTests {
    let probe = ICMPProbe(source: 0x0A08_0001, destination: 0x0A08_0002, identifier: 0x5357)

    /// RFC 1071, written out byte by byte: independent of the code under test.
    static func checksumIsValid(_ bytes: ArraySlice<UInt8>) -> Bool {
        var sum: UInt32 = 0
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let hi = UInt32(bytes[i])
            let lo = i + 1 < bytes.endIndex ? UInt32(bytes[i + 1]) : 0
            sum += hi << 8 | lo
            i += 2
        }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        return sum == 0xFFFF
    }

    func request(_ seq: UInt16) -> [UInt8] {
        var buf = [UInt8](repeating: 0xEE, count: ICMPProbe.packetLength)
        let n = buf.withUnsafeMutableBytes {
            probe.writeRequest(sequence: seq, sentNanoseconds: 123, into: $0.baseAddress!)
        }
        #expect(n == 44)
        return buf
    }

    /// What the peer's kernel sends back: addresses swapped, type 0, checksums redone.
    static func reply(to req: [UInt8]) -> [UInt8] {
        var r = req
        r[12..<16] = req[16..<20]
        r[16..<20] = req[12..<16]
        r[20] = 0
        r[10] = 0
        r[11] = 0
        r[22] = 0
        r[23] = 0
        func fix(_ range: Range<Int>, at: Int) {
            var sum: UInt32 = 0
            var i = range.lowerBound
            while i < range.upperBound {
                sum += UInt32(r[i]) << 8 | UInt32(r[i + 1])
                i += 2
            }
            while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
            let c = ~UInt16(sum)
            r[at] = UInt8(c >> 8)
            r[at + 1] = UInt8(c & 0xFF)
        }
        fix(0..<20, at: 10)
        fix(20..<44, at: 22)
        return r
    }

    @Test func buildsAValidEchoRequest() {
        let p = request(7)
        #expect(p[0] == 0x45 && p[9] == 1 && p[8] == 64)
        #expect(Array(p[2..<4]) == [0, 44])
        #expect(Array(p[12..<16]) == [10, 8, 0, 1])
        #expect(Array(p[16..<20]) == [10, 8, 0, 2])
        #expect(p[20] == 8 && p[21] == 0)
        #expect(Array(p[24..<28]) == [0x53, 0x57, 0, 7])
        #expect(Self.checksumIsValid(p[0..<20]))
        #expect(Self.checksumIsValid(p[20..<44]))
    }

    @Test func recognisesOnlyItsOwnReplies() {
        let reply = Self.reply(to: request(513))
        #expect(reply.withUnsafeBytes { probe.matchReply($0) } == 513)
        // The request itself (e.g. looped back) is not a reply.
        #expect(request(1).withUnsafeBytes { probe.matchReply($0) } == nil)
        var other = reply
        other[24] ^= 1  // another identifier (someone else's ping)
        #expect(other.withUnsafeBytes { probe.matchReply($0) } == nil)
        other = reply
        other[12] = 192  // from another host
        #expect(other.withUnsafeBytes { probe.matchReply($0) } == nil)
        other = reply
        other[28] ^= 0xFF  // not our marker
        #expect(other.withUnsafeBytes { probe.matchReply($0) } == nil)
        #expect((reply + [0]).withUnsafeBytes { probe.matchReply($0) } == nil)
        #expect([UInt8]().withUnsafeBytes { probe.matchReply($0) } == nil)
    }

    @Test func trackerMeasuresRTTLossAndAge() {
        let s: Int64 = 1_000_000_000
        var t = ProbeTracker(intervalSeconds: 1)
        #expect(t.isDue(now: 0))
        #expect(t.statistics(now: 0).lastReplySeconds == nil)
        #expect(!t.statistics(now: 0).isHealthy)
        let q1 = t.send(now: 0)
        #expect(!t.isDue(now: s / 2))
        let first = t.reply(sequence: q1, now: 2_500_000)
        let duplicate = t.reply(sequence: q1, now: 3_000_000)
        #expect(first && !duplicate)
        var st = t.statistics(now: s)
        #expect(st.rttMilliseconds == 2.5)
        #expect(st.lastReplySeconds == 0)
        #expect(st.lossPercent == 0)
        #expect(st.isHealthy)
        // Nine more, of which 4 go unanswered.
        for i in 1..<10 {
            let q = t.send(now: Int64(i) * s)
            if i % 2 == 0 { t.reply(sequence: q, now: Int64(i) * s + 1_000_000) }
        }
        st = t.statistics(now: 20 * s)
        #expect(st.sent == 10 && st.received == 5)
        #expect(st.lossPercent == 50)
        #expect(st.lastReplySeconds == 11)
        #expect(!st.isHealthy)
        #expect(st.thresholdMilliseconds == 2_500)
        // The in-flight probe is not yet lost.
        var u = ProbeTracker(intervalSeconds: 5)
        _ = u.send(now: 0)
        #expect(u.statistics(now: 4 * s).lossPercent == 0)
        #expect(u.statistics(now: 6 * s).lossPercent == 100)
    }

    /// One lost probe (and a tick 400 ms late) keeps /health at 200; two in a row turn it 503 2.5 s after the last reply.
    @Test func oneLostProbeIsToleratedTwoInARowAreNot() {
        let ms: Int64 = 1_000_000
        var t = ProbeTracker(intervalSeconds: 1)
        let first = t.send(now: 0)
        t.reply(sequence: first, now: 1 * ms)
        _ = t.send(now: 1_000 * ms)  // lost
        #expect(t.statistics(now: 2_400 * ms).isHealthy)
        let third = t.send(now: 2_400 * ms)
        t.reply(sequence: third, now: 2_401 * ms)
        _ = t.send(now: 3_400 * ms)  // lost
        _ = t.send(now: 4_400 * ms)  // lost
        #expect(t.statistics(now: 4_901 * ms).isHealthy)
        let late = t.statistics(now: 4_902 * ms)
        #expect(!late.isHealthy)
        #expect(late.lastReplyMilliseconds == 2_501 && late.lastReplySeconds == 2)
    }

    @Test func sequenceWrapsAndResetKeepsTotals() {
        var t = ProbeTracker(intervalSeconds: 1)
        for i in 0..<70_000 { _ = t.send(now: Int64(i)) }
        let q = t.send(now: 70_000)
        #expect(q != 0)
        t.reset()
        let st = t.statistics(now: 70_001)
        #expect(st.sent == 70_001)
        #expect(st.lossPercent == 0 && st.lastReplySeconds == nil)
    }
}
