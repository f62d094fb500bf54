extension TunnelSession {
    /// The replay mark is saved at most this often, and only when it moved; also before every
    /// restart, and the executor saves it at exit once the data plane has stopped.
    public static let replaySaveSeconds: Int64 = 1

    /// Part of the 1-second tick: `.saveReplayMark` when the receive side's mark (`Tick.replayMark`)
    /// moved since the last save. A mark still 0 (nothing accepted yet) is never saved.
    mutating func replayTick(mark: UInt64, now: Int64) -> [TunnelAction] {
        guard settings.replayPersist, mark != 0, mark != savedReplayMark,
            now - lastReplaySave >= Self.replaySaveSeconds
        else { return [] }
        lastReplaySave = now
        savedReplayMark = mark
        return [.saveReplayMark]
    }

    /// A soft restart keeps the mark as the new window's floor; saving it first means a crash of the
    /// new session cannot lose what the old one accepted.
    var replaySaveBeforeRestart: [TunnelAction] { settings.replayPersist ? [.saveReplayMark] : [] }
}
