import Glibc
import Logging
import Testing

@testable import SwvpnLinux

@Suite struct LogSinkTests {
    private func temporaryPath(_ name: String) -> String {
        "/tmp/swvpnd-test-\(getpid())-\(name)"
    }

    private func read(_ path: String) throws -> String {
        String(decoding: try PosixFileSystem().read(path), as: UTF8.self)
    }

    @Test func plainStyleWritesBareLines() throws {
        let path = temporaryPath("plain.log")
        defer { unlink(path) }
        let sink = try LogSink(path: path, append: false, style: .plain)
        sink.write(level: .notice, "Initialization Sequence Completed")
        #expect(try read(path) == "Initialization Sequence Completed\n")
    }

    @Test func timestampStyleMatchesOpenVPNFormat() throws {
        let path = temporaryPath("ts.log")
        defer { unlink(path) }
        let sink = try LogSink(path: path, append: false, style: .timestamps)
        sink.write(level: .notice, "hello")
        let line = try read(path)
        // "YYYY-MM-DD HH:MM:SS hello\n"
        #expect(line.count == 26)
        #expect(line.hasSuffix(" hello\n"))
        #expect(Array(line)[4] == "-" && Array(line)[13] == ":")
    }

    @Test func appendKeepsEarlierLines() throws {
        let path = temporaryPath("append.log")
        defer { unlink(path) }
        try LogSink(path: path, append: false, style: .plain).write(level: .notice, "one")
        try LogSink(path: path, append: true, style: .plain).write(level: .notice, "two")
        #expect(try read(path) == "one\ntwo\n")
        try LogSink(path: path, append: false, style: .plain).write(level: .notice, "three")
        #expect(try read(path) == "three\n")
    }

    @Test func muteSuppressesRepeatsOfOneKindAndSaysSo() throws {
        let path = temporaryPath("mute.log")
        defer { unlink(path) }
        let sink = try LogSink(path: path, append: false, style: .plain)
        sink.mute = 2
        for n in 1...5 { sink.write(level: .warning, "dropped \(n) packets") }
        sink.write(level: .notice, "peer up")
        #expect(
            try read(path) == """
                dropped 1 packets
                dropped 2 packets
                [3 variation(s) on previous 2 message(s) suppressed by --mute]
                peer up

                """)
    }

    @Test func journalPrefixesCarrySyslogPriorities() {
        #expect(LogSink.syslogPriority(.error) == 3)
        #expect(LogSink.syslogPriority(.warning) == 4)
        #expect(LogSink.syslogPriority(.notice) == 5)
        #expect(LogSink.syslogPriority(.debug) == 7)
    }

    /// JOURNAL_STREAM counts only when it names our own stderr: a child that inherited it but writes
    /// elsewhere keeps its timestamps (systemd.exec(5)).
    @Test func journalStyleOnlyWhenJournalStreamIsOurStderr() {
        let saved = getenv("JOURNAL_STREAM").map { String(cString: $0) }
        defer { if let saved { setenv("JOURNAL_STREAM", saved, 1) } else { unsetenv("JOURNAL_STREAM") } }
        var st = stat()
        #expect(fstat(2, &st) == 0)
        setenv("JOURNAL_STREAM", "\(st.st_dev):\(st.st_ino)", 1)
        #expect(LogSink.defaultStderrStyle(suppressTimestamps: false) == .journal)
        setenv("JOURNAL_STREAM", "\(st.st_dev):\(st.st_ino &+ 1)", 1)
        #expect(LogSink.defaultStderrStyle(suppressTimestamps: false) == .timestamps)
        #expect(LogSink.defaultStderrStyle(suppressTimestamps: true) == .plain)
        setenv("JOURNAL_STREAM", "garbage", 1)
        #expect(LogSink.defaultStderrStyle(suppressTimestamps: false) == .timestamps)
    }

    @Test func verbMapsToLevels() {
        #expect(SinkLogHandler.level(forVerb: 0) == .error)
        #expect(SinkLogHandler.level(forVerb: 1) == .notice)
        #expect(SinkLogHandler.level(forVerb: 3) == .info)
        #expect(SinkLogHandler.level(forVerb: 5) == .debug)
        #expect(SinkLogHandler.level(forVerb: 7) == .trace)
    }
}
