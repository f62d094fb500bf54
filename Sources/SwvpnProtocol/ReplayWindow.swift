/// Receive-side replay protection for the long-form packet-id (PROTOCOL.md §4.2–4.3).
///
/// Window mode (`size > 0`) keeps the highest time `T`, the highest id `H` under `T`, and a ring of
/// the last `size` ids with the local time each was accepted, so reordered packets are accepted
/// once. A periodic reap expires ids that stayed unseen longer than `seconds` after a newer id was
/// accepted. Strict mode (`size == 0`) accepts ids only in order.
///
/// A value type whose default value is ready to use. Not thread-safe: one receive queue owns it.
/// The ring is allocated once at init; checking and accepting never allocate.
public struct ReplayWindow: Sendable {
    /// Corresponds to OpenVPN `--replay-window n [t]`.
    public struct Parameters: Sendable, Hashable {
        public static let sizeRange = 0...65536
        public static let secondsRange = 0...600
        /// Window in packets; 0 selects strict in-order mode.
        public let size: Int
        /// Time window in seconds; 0 disables the reap.
        public let seconds: Int

        /// Values outside `sizeRange` / `secondsRange` are clamped; the config layer reports them.
        public init(size: Int = 64, seconds: Int = 15) {
            self.size = min(max(size, Self.sizeRange.lowerBound), Self.sizeRange.upperBound)
            self.seconds = min(max(seconds, Self.secondsRange.lowerBound), Self.secondsRange.upperBound)
        }
    }

    /// How often (local seconds) the time-window reap runs, as in OpenVPN.
    public static let reapInterval: Int64 = 5

    private static let unseen = Int64.min
    private static let expired = Int64.min + 1

    public let parameters: Parameters
    /// Highest session time accepted (`T`).
    public private(set) var time: UInt32 = 0
    /// Highest packet-id accepted under `time` (`H`).
    public private(set) var highestID: UInt32 = 0
    /// `ring[(head + k) % size]` describes id `highestID - k`.
    private var ring: [Int64]
    private var head = 0
    private var count = 0
    private var lastReap: Int64 = 0
    /// The preset mark (`--replay-persist`): ids up to `floorID` under `floorTime` were accepted by
    /// an earlier run and stay rejected, however the ring is rebased later. (0, 0) without a preset.
    private var floorTime: UInt32 = 0
    private var floorID: UInt32 = 0

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
        ring = [Int64](repeating: Self.unseen, count: parameters.size)
    }

    /// Forgets everything (peer or local restart).
    public mutating func reset() {
        time = 0
        highestID = 0
        count = 0
        head = 0
        lastReap = 0
        floorTime = 0
        floorID = 0
    }

    /// Pre-sets the high-water mark with an empty window (`--replay-persist`): afterwards only a
    /// later time, or the same time with a higher id, is accepted. The mark stays a floor: the first
    /// packet accepted afterwards rebases the ring (as openvpn's `packet_id_add` does on an empty
    /// list), but ids up to `id` under `time` remain rejected, unlike openvpn.
    public mutating func preset(time: UInt32, id: UInt32) {
        reset()
        self.time = time
        highestID = id
        floorTime = time
        floorID = id
    }

    /// Tests and, if acceptable, records the packet. `now` is local seconds on any monotonic clock.
    @inline(__always)
    public mutating func checkAndAccept(id: UInt32, time: UInt32, now: Int64) -> Bool {
        guard check(id: id, time: time, now: now) else { return false }
        accept(id: id, time: time, now: now)
        return true
    }

    /// The accept test of PROTOCOL.md §4.2/§4.3, preceded by the periodic reap (window mode).
    public mutating func check(id: UInt32, time: UInt32, now: Int64) -> Bool {
        if id == 0 { return false }
        let size = parameters.size
        if size == 0 {
            if time == self.time { return highestID == 0 || id == highestID &+ 1 }
            return time > self.time && id == 1
        }
        if now >= lastReap &+ Self.reapInterval { reap(now: now) }
        if time > self.time { return true }
        if time < self.time { return false }
        if id > highestID { return true }
        if time == floorTime && id <= floorID { return false }
        let distance = Int(highestID - id)
        guard distance < count else { return false }
        return ring[slot(distance)] == Self.unseen
    }

    /// Records a packet that passed `check`.
    public mutating func accept(id: UInt32, time: UInt32, now: Int64) {
        let size = parameters.size
        if size == 0 {
            self.time = time
            highestID = id
            return
        }
        let id64 = UInt64(id)
        let size64 = UInt64(size)
        if count == 0 || time > self.time || (id64 >= size64 && id64 - size64 > UInt64(highestID)) {
            self.time = time
            highestID = id64 > size64 ? UInt32(id64 - size64) : 0
            count = 0
        }
        while highestID < id {
            head = head == 0 ? size - 1 : head - 1
            ring[head] = Self.unseen
            if count < size { count += 1 }
            highestID += 1
        }
        let distance = Int(highestID - id)
        if distance < count {
            // Keep real times distinct from the two sentinels whatever clock the caller uses.
            ring[slot(distance)] = max(now, Self.expired + 1)
        }
    }

    /// (T, H), what `--replay-persist` stores.
    public var highWater: (time: UInt32, id: UInt32) { (time, highestID) }

    /// Expires every entry at and beyond the newest one accepted more than `seconds` ago: ids
    /// that never arrived within the time window can no longer be accepted late.
    private mutating func reap(now: Int64) {
        let window = Int64(parameters.seconds)
        if window > 0 {
            var expiring = false
            for k in 0..<count {
                let index = slot(k)
                let seen = ring[index]
                if seen == Self.expired { break }
                if !expiring && seen != Self.unseen && seen &+ window < now { expiring = true }
                if expiring { ring[index] = Self.expired }
            }
        }
        lastReap = now
    }

    @inline(__always)
    private func slot(_ distance: Int) -> Int {
        let index = head + distance
        return index >= parameters.size ? index - parameters.size : index
    }
}
