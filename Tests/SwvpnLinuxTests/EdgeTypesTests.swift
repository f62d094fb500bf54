import Glibc
import SwvpnLinux
import SwvpnProtocol
import Testing

/// The typed edges of the data plane: drop reasons and owned descriptors.
struct EdgeTypesTests {
    @Test func dropSummaryListsGrownReasonsInDeclarationOrder() {
        var before = DropCounts()
        before[.replayed] = 5
        var after = before
        after[.badHMAC] = 7
        after[.replayed] = 35
        #expect(after.since(before).map(\.0) == [.badHMAC, .replayed])
        #expect(after.since(before).map(\.1) == [7, 30])
        #expect(after.since(after).isEmpty)
        #expect(PacketDrop.replayed.description == "replayed")
        #expect(Set(PacketDrop.allCases.map(\.description)).count == PacketDrop.allCases.count)
    }

    @Test func inboundDropsMapToTheirCounters() {
        #expect(PacketDrop(.crypto(.badHMAC)) == .badHMAC)
        #expect(PacketDrop(.crypto(.tooShort)) == .badHMAC)
        #expect(PacketDrop(.crypto(.replayed)) == .replayed)
        #expect(PacketDrop(.crypto(.badPadding)) == .undecryptable)
        #expect(PacketDrop(.fragment(.bufferOverflow)) == .badFraming)
        #expect(PacketDrop(.empty) == .badFraming)
        let counters = TrafficCounters()
        counters.add(.oversized, 2)
        counters.add(.replayed)
        #expect(counters.snapshot().drops[.oversized] == 2)
        #expect(counters.dropped(.replayed) == 1)
    }

    /// Seen from the other end of a stream pair (an fd number may be reused by a parallel test at once).
    @Test func ownedDescriptorClosesOnceAndReleaseHandsItOver() {
        var fds: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[1]) }
        let raw = OwnedFD(fds[0]).release()
        var byte: UInt8 = 1
        #expect(send(fds[1], &byte, 1, Int32(MSG_NOSIGNAL)) == 1, "release() left it open")
        do { _ = OwnedFD(raw) }
        #expect(send(fds[1], &byte, 1, Int32(MSG_NOSIGNAL)) == -1, "dropping the owner closed it")
    }
}
