import Glibc
import SwvpnConfig
import Testing

@testable import SwvpnLinux

/// The replay mark file: openvpn's 16 bytes, replaced atomically, locked against a second process.
@Suite struct ReplayPersistFileTests {
    private static func scratchDirectory() throws -> String {
        var template = Array("/tmp/swvpn-replay-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        try #require(made != nil)
        return String(cString: made!)
    }

    /// Runs `body` with `DIR/t.replay` in a fresh directory, removed afterwards.
    private static func inScratch(_ body: (_ path: String, _ dir: String) throws -> Void) throws {
        let dir = try scratchDirectory()
        defer { _ = system("rm -rf '\(dir)'") }
        try body("\(dir)/t.replay", dir)
    }

    private static func inode(_ path: String) -> ino_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_ino : nil
    }

    private static func entries(_ directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    @Test func roundTripsOpenVPNsSixteenByteLayout() throws {
        try Self.inScratch { path, dir in
            do {
                let file = try ReplayPersistFile(path: path)
                #expect(file.stored == nil)
                #expect(file.save(time: 0x6b0c_4772, id: 7) == nil)
            }
            let bytes = try PosixFileSystem().read(path)
            // Observed from openvpn 2.6 (PROTOCOL.md §4.5): int64 T LE, uint32 H LE, 4 zero bytes.
            #expect(bytes == [0x72, 0x47, 0x0c, 0x6b, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0])
            var info = stat()
            #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
            let again = try ReplayPersistFile(path: path)
            #expect(again.stored?.time == 0x6b0c_4772)
            #expect(again.stored?.id == 7)
            #expect(Self.entries(dir) == ["t.replay"], "no temporary file left behind")
        }
    }

    @Test func saveReplacesTheFileByRenameAndSkipsStaleOrUnchangedMarks() throws {
        try Self.inScratch { path, dir in
            let file = try ReplayPersistFile(path: path)
            file.save(time: 100, id: 5)
            let first = Self.inode(path)
            file.save(time: 100, id: 9)
            let second = Self.inode(path)
            #expect(first != nil && second != nil && first != second, "a new file renamed into place, not an overwrite")
            file.save(time: 100, id: 9)
            file.save(time: 100, id: 3)  // older than stored: a stale reading
            #expect(Self.inode(path) == second, "unchanged or older marks write nothing")
            #expect(try PosixFileSystem().read(path) == ReplayPersistFile.encode(time: 100, id: 9))
            file.save(time: 101, id: 1)  // the peer's new session
            #expect(try PosixFileSystem().read(path) == ReplayPersistFile.encode(time: 101, id: 1))
        }
    }

    /// A crash between writing the temporary file and the rename: the old file is whole, and the next
    /// start reads it and removes the leftover.
    @Test func crashBeforeTheRenameLeavesTheOldFileIntact() throws {
        try Self.inScratch { path, dir in
            do {
                let file = try ReplayPersistFile(path: path)
                file.save(time: 200, id: 40)
                guard case .success(let temporary) = file.writeTemporary(ReplayPersistFile.encode(time: 200, id: 99))
                else {
                    Issue.record("cannot write the temporary file")
                    return
                }
                close(temporary)  // the process dies here
                #expect(Self.entries(dir) == [".t.replay.tmp", "t.replay"])
                #expect(try PosixFileSystem().read(path) == ReplayPersistFile.encode(time: 200, id: 40))
            }
            let restarted = try ReplayPersistFile(path: path)
            #expect(restarted.stored?.time == 200 && restarted.stored?.id == 40)
            #expect(Self.entries(dir) == ["t.replay"], "the leftover temporary file is removed")
        }
    }

    @Test func secondOpenerIsRefusedByTheLockAlsoAfterSaves() throws {
        try Self.inScratch { path, dir in
            let first = try ReplayPersistFile(path: path)
            #expect(throws: SetupError.self) { try ReplayPersistFile(path: path) }
            // Each save swaps in a new file: the lock must move with it.
            first.save(time: 1, id: 1)
            first.save(time: 1, id: 2)
            #expect(throws: SetupError.self) { try ReplayPersistFile(path: path) }
            // The in-place fallback (a directory that takes no new files) keeps the same locked file.
            first.writesInPlace = true
            let before = Self.inode(path)
            #expect(first.save(time: 1, id: 3) == nil)
            #expect(Self.inode(path) == before)
            #expect(try PosixFileSystem().read(path) == ReplayPersistFile.encode(time: 1, id: 3))
            #expect(throws: SetupError.self) { try ReplayPersistFile(path: path) }
        }
    }

    @Test func temporaryFileSymlinkIsNotFollowed() throws {
        try Self.inScratch { path, dir in
            let file = try ReplayPersistFile(path: path)
            try PosixFileSystem.replace("\(dir)/victim", with: "precious\n", mode: 0o644)
            #expect(symlink("\(dir)/victim", "\(dir)/.t.replay.tmp") == 0)
            file.save(time: 5, id: 5)  // the planted link is removed, never written through
            #expect(String(decoding: try PosixFileSystem().read("\(dir)/victim"), as: UTF8.self) == "precious\n")
            #expect(try PosixFileSystem().read(path) == ReplayPersistFile.encode(time: 5, id: 5))
        }
    }

    @Test func defaultPathIsTheStateDirectoryUnlessReplayPersistOrNoReplay() throws {
        func path(_ text: String, _ state: String?) throws -> String? {
            let config = try TunnelConfig.parse(
                text: "dev tun\nsecret k\nifconfig 10.0.0.1 10.0.0.2\n" + text, source: "/etc/swvpnd/site-a.conf")
            return TunnelController.replayStatePath(config, stateDirectory: state)
        }
        #expect(try path("", "/var/lib/swvpnd") == "/var/lib/swvpnd/site-a.replay")
        #expect(try path("", nil) == nil)
        #expect(try path("replay-persist /srv/r\n", "/var/lib/swvpnd") == "/srv/r")
        #expect(try path("no-replay\n", "/var/lib/swvpnd") == nil)
    }
}
