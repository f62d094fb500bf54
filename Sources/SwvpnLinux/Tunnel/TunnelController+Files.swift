import Glibc
import SwvpnCompression
import SwvpnConfig
import SwvpnControl
import SwvpnProtocol

// MARK: - Files the tunnel keeps: replay mark, status file, pid file

extension TunnelController {
    /// Opened once and kept across SIGHUP, like openvpn (a second open would fail on our own lock).
    func openReplayPersist(_ config: TunnelConfig, opener: DataChannelOpener) throws(SetupError) {
        guard let path = config.replayPersistPath, config.replay != .disabled else {
            replayPersist = nil
            return
        }
        if replayPersist?.path != path {
            replayPersist = nil
            replayPersist = try ReplayPersistFile(path: path)
        }
        if let mark = replayPersist?.stored {
            opener.presetReplay(time: mark.time, id: mark.id)
            logger.info("replay-persist \(path): starting above time \(mark.time) id \(mark.id)")
        }
    }

    func saveReplayMark() {
        guard let replayPersist, let tunnel else { return }
        let mark = tunnel.dataPlane.replayHighWater()
        replayPersist.save(time: mark.time, id: mark.id)
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
