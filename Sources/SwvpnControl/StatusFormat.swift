/// Text the daemon shows about itself: byte counts, openvpn's statistics block and signal names.
public enum StatusFormat {
    /// "512 B", "1.5 KB", "3.2 GB".
    public static func humanBytes(_ n: UInt64) -> String {
        if n < 1024 { return "\(n) B" }
        let units = ["KB", "MB", "GB", "TB"]
        var value = Double(n) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return "\((value * 10).rounded() / 10) \(units[unit])"
    }

    /// Byte counters of a data plane, as openvpn names them in its statistics.
    public struct Counters: Sendable, Hashable {
        public var tunReadBytes: UInt64, tunWriteBytes: UInt64, linkReadBytes: UInt64, linkWriteBytes: UInt64
        public var authReadBytes: UInt64
        /// Bytes into and out of the compressor and the decompressor (packets that were compressed only).
        public var preCompress: UInt64 = 0, postCompress: UInt64 = 0
        public var preDecompress: UInt64 = 0, postDecompress: UInt64 = 0

        public init(
            tunReadBytes: UInt64 = 0, tunWriteBytes: UInt64 = 0, linkReadBytes: UInt64 = 0,
            linkWriteBytes: UInt64 = 0, authReadBytes: UInt64 = 0
        ) {
            self.tunReadBytes = tunReadBytes
            self.tunWriteBytes = tunWriteBytes
            self.linkReadBytes = linkReadBytes
            self.linkWriteBytes = linkWriteBytes
            self.authReadBytes = authReadBytes
        }
    }

    /// openvpn's `OpenVPN STATISTICS` block (SIGUSR2 and the `status` file; the same for status-version
    /// 1, 2 and 3 in point-to-point mode). With compression configured, openvpn's four compression lines
    /// count the bytes of the packets actually compressed or decompressed, before and after.
    public static func statisticsLines(_ c: Counters, updated: String, compressionFraming: Bool) -> [String] {
        var lines = [
            "OpenVPN STATISTICS",
            "Updated,\(updated)",
            "TUN/TAP read bytes,\(c.tunReadBytes)",
            "TUN/TAP write bytes,\(c.tunWriteBytes)",
            "TCP/UDP read bytes,\(c.linkReadBytes)",
            "TCP/UDP write bytes,\(c.linkWriteBytes)",
            "Auth read bytes,\(c.authReadBytes)",
        ]
        if compressionFraming {
            lines += [
                "pre-compress bytes,\(c.preCompress)", "post-compress bytes,\(c.postCompress)",
                "pre-decompress bytes,\(c.preDecompress)", "post-decompress bytes,\(c.postDecompress)",
            ]
        }
        lines.append("END")
        return lines
    }

    /// openvpn's signal text from an exit reason: "SIGTERM[soft,ping-exit] received" → "ping-exit",
    /// "SIGINT[hard,] received" → "sigint" (the `signal` variable of the down script).
    public static func signalText(_ reason: String) -> String {
        let name = reason.prefix { $0 != "[" && $0 != " " }.lowercased()
        guard let open = reason.firstIndex(of: "["), let close = reason.firstIndex(of: "]"), open < close,
            let comma = reason[open..<close].firstIndex(of: ",")
        else { return name }
        let text = reason[reason.index(after: comma)..<close]
        return text.isEmpty ? name : String(text)
    }
}
