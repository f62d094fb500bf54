/// Send side of the long-form packet-id (PROTOCOL.md §3.1): ids 1, 2, 3... under one session time.
///
/// The time is taken from the first packet and kept. When id 0xFFFFFFFF has been used, the next
/// packet starts again at 1 with a new time, but only if the clock moved past the session time;
/// otherwise the packet must be dropped (OpenVPN's roll-over rule). Not thread-safe.
public struct PacketIDSender: Sendable, Hashable {
    /// Last id handed out; 0 before the first packet.
    public private(set) var lastID: UInt32
    /// Session time; 0 until the first packet.
    public private(set) var time: UInt32

    /// Lower bound for the session time (see `init(after:)`); 0 = none.
    private var minimumTime: UInt32 = 0

    public init() {
        lastID = 0
        time = 0
    }

    /// A new session after one that used `previousTime`: its time is strictly newer even when the
    /// clock has not moved, because a restart within the same second would reuse the time and the
    /// peer's replay window would then reject ids 1, 2, 3... as replays.
    public init(after previousTime: UInt32) {
        self.init()
        minimumTime = previousTime == 0 ? 0 : previousTime &+ 1
    }

    /// Resumes a session: the next packet gets `nextID` and `time` (tests re-encoding captures).
    public init(nextID: UInt32, time: UInt32) {
        precondition(nextID != 0, "packet-id 0 is never sent")
        lastID = nextID - 1
        self.time = time
    }

    /// The id and time for the next packet, or nil on roll-over without clock progress.
    @inline(__always)
    public mutating func next(now: UInt32) -> (id: UInt32, time: UInt32)? {
        if time == 0 { time = max(now, minimumTime) }
        if lastID == UInt32.max {
            guard now > time else { return nil }
            time = now
            lastID = 0
        }
        lastID += 1
        return (lastID, time)
    }
}
