import Glibc
import SwvpnCompression
import SwvpnConfig
import SwvpnControl
import SwvpnProtocol

// MARK: - Files the tunnel keeps: replay mark, status file, pid file

extension TunnelController {
    /// `$STATE_DIRECTORY` (the first, when systemd gives several), nil outside such a unit.
    static var stateDirectory: String? {
        guard let value = getenv("STATE_DIRECTORY").map({ String(cString: $0) }), !value.isEmpty else { return nil }
        return value.split(separator: ":").first.map(String.init)
    }

    /// Where the receive side's replay mark is kept: `replay-persist FILE` (resolved against `cd`),
    /// else `STATEDIR/NAME.replay` when systemd gives a state directory (NAME as for the control
    /// socket); nil with `no-replay` (nothing to keep) or neither.
    static func replayStatePath(_ config: TunnelConfig, stateDirectory: String?) -> String? {
        guard config.replay != .disabled else { return nil }
        if let path = config.replayPersistPath { return path }
        return stateDirectory.map { "\($0)/\(HealthService.tunnelName(sourceName: config.sourceName)).replay" }
    }

    /// The session's settings for `config`, with what the environment adds: systemd's state directory
    /// (the replay mark is kept by default there) and `SWVPND_TCP_HANDSHAKE_SECONDS` (a positive number),
    /// which replaces the tcp-server handshake deadline (`TunnelSession.tcpHandshakeSeconds`), for tests
    /// and for setups whose peer stays silent longer (no `keepalive`, `disable-occ`).
    static func sessionSettings(_ config: TunnelConfig, notify: Bool) -> TunnelSession.Settings {
        var settings = TunnelSession.Settings(config: config, notify: notify, stateDirectory: stateDirectory != nil)
        if let text = getenv("SWVPND_TCP_HANDSHAKE_SECONDS"), let seconds = Int64(String(cString: text)), seconds > 0 {
            settings.tcpHandshakeSeconds = seconds
        }
        return settings
    }

    /// Opened once and kept across SIGHUP, like openvpn (a second open would fail on our own lock).
    func openReplayPersist(_ config: TunnelConfig, opener: DataChannelOpener) throws(SetupError) {
        guard let path = Self.replayStatePath(config, stateDirectory: Self.stateDirectory) else {
            replayPersist = nil
            return
        }
        if replayPersist?.path != path {
            replayPersist = nil
            replayPersist = try ReplayPersistFile(path: path)
        }
        // "replay-persist" in every line about the file, also the default one: operators grep for it.
        if let mark = replayPersist?.stored {
            opener.presetReplay(time: mark.time, id: mark.id)
            logger.info("replay-persist \(path): starting above time \(mark.time) id \(mark.id)")
        } else {
            logger.info("replay-persist \(path): no mark saved yet")
        }
    }

    /// Saves the mark, read on the RX queue that owns it, if it moved past the stored one. The
    /// session asks for it only when the mark the RX heartbeat published moved, i.e. while the RX
    /// loop is alive, so this wait is at most one RX wake-up. A failure is logged once, until a save
    /// succeeds again.
    func saveReplayMark() {
        guard let replayPersist, let tunnel else { return }
        let mark = tunnel.dataPlane.replayHighWater()
        let wasInPlace = replayPersist.writesInPlace
        let failure = replayPersist.save(time: mark.time, id: mark.id)
        if replayPersist.writesInPlace && !wasInPlace {
            logger.notice(
                "replay-persist \(replayPersist.path): its directory takes no new files (privileges dropped?): saving in place"
            )
        }
        if let failure, !replayPersistFailing {
            logger.warning("replay-persist \(replayPersist.path): cannot save the mark: \(failure)")
        }
        replayPersistFailing = failure != nil
    }

    func statisticsLines() -> [String] {
        let c = tunnel?.dataPlane.counters.snapshot()
        var counters = StatusFormat.Counters(
            tunReadBytes: c?.tunReadBytes ?? 0, tunWriteBytes: c?.tunWriteBytes ?? 0,
            linkReadBytes: c?.linkReadBytes ?? 0,
            linkWriteBytes: c?.linkWriteBytes ?? 0, authReadBytes: c?.authReadBytes ?? 0)
        (counters.preCompress, counters.postCompress) =
            (compressionTotals.compress?.before ?? 0, compressionTotals.compress?.after ?? 0)
        (counters.preDecompress, counters.postDecompress) =
            (compressionTotals.decompress?.before ?? 0, compressionTotals.decompress?.after ?? 0)
        return StatusFormat.statisticsLines(
            counters, updated: LogSink.timestamp(),
            compressionFraming: config.compression != .none)
    }

    /// Opened before any privilege drop and kept across SIGHUP (a new path after a drop may fail: warned once).
    func openStatusFile(_ config: TunnelConfig) {
        guard let path = config.status?.path else {
            statusFile = nil
            return
        }
        guard statusFile?.path != path else { return }
        statusFile = nil
        do throws(SystemError) {
            statusFile = try StatusFileWriter(path: path)
        } catch {
            logger.warning("cannot write status file \(path): \(error)")
        }
    }

    func writeStatusFile() {
        guard let statusFile else { return }
        do throws(SystemError) {
            try statusFile.write(statisticsLines().joined(separator: "\n") + "\n")
        } catch {
            logger.warning("cannot write status file \(statusFile.path): \(error)")
        }
    }

    func writePIDFile(_ path: String) {
        // Same PID after SIGHUP; rewriting could fail anyway once privileges are dropped.
        guard pidFile?.path != path else { return }
        do {
            pidFile = try PIDFile(writing: path)
        } catch {
            logger.warning("cannot write pid file \(path): \(error)")
        }
    }

    func removePIDFile() {
        guard let pidFile else { return }
        switch pidFile.remove() {
        case .removed, .replaced: break
        case .emptied(let unlinkErrno):
            let why = SystemError.text(for: unlinkErrno)
            logger.notice(
                "pid file \(pidFile.path) emptied, not removed: its directory is not writable after the privilege drop (\(why))"
            )
        case .failed(let error):
            logger.warning("cannot remove pid file \(pidFile.path): \(error)")
        }
    }
}
