/// Send side of the long-form packet-id (spec §3.1): ids 1, 2, 3... under one session time.
///
/// The time is taken from the first packet and kept. When id 0xFFFFFFFF has been used, the next
/// packet starts again at 1 with a new time, but only if the clock moved past the session time;
/// otherwise the packet must be dropped (OpenVPN's roll-over rule). Not thread-safe.
public struct PacketIDSender: Sendable, Hashable {
    /// Last id handed out; 0 before the first packet.
    public private(set) var lastID: UInt32
    /// Session time; 0 until the first packet.
    public private(set) var time: UInt32

    public init() {
        lastID = 0
        time = 0
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
        if time == 0 { time = now }
        if lastID == UInt32.max {
            guard now > time else { return nil }
            time = now
            lastID = 0
        }
        lastID += 1
        return (lastID, time)
    }
}
