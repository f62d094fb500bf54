import Foundation

#if canImport(Glibc)
    import Glibc
#endif

enum Paths {
    /// Package root, found from this file's location: <root>/Tests/IntegrationTests/Support/Paths.swift.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var scriptsLib: URL { packageRoot.appendingPathComponent("scripts/lib") }
    static var xferScript: String { scriptsLib.appendingPathComponent("xfer.py").path }
    static var relayScript: String { scriptsLib.appendingPathComponent("udprelay.py").path }
}

/// The tests need real root, a TUN device and real tools. Anything missing is a failure with a
/// message saying what to install, never a skip.
enum Prerequisites {
    static let tools = ["ip", "openvpn", "iperf3", "ping", "python3"]

    static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func requireBase() throws {
        var missing: [String] = []
        if geteuid() != 0 { missing.append("root privileges (run `swift test` as root)") }
        if !FileManager.default.fileExists(atPath: "/dev/net/tun") { missing.append("/dev/net/tun") }
        for tool in tools where which(tool) == nil { missing.append("`\(tool)` in PATH") }
        for script in [Paths.xferScript, Paths.relayScript] where !FileManager.default.fileExists(atPath: script) {
            missing.append(script)
        }
        if !missing.isEmpty {
            throw HarnessError(
                "integration prerequisites missing: \(missing.joined(separator: ", ")). "
                    + "On Debian: apt-get install openvpn iproute2 iputils-ping iperf3 python3")
        }
    }

    /// `SWVPND_BIN`, or `<package root>/.build/debug/swvpnd`.
    static func swvpndBinary() throws -> String {
        let path =
            ProcessInfo.processInfo.environment["SWVPND_BIN"]
            ?? Paths.packageRoot.appendingPathComponent(".build/debug/swvpnd").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError(
                "swvpnd binary not found or not executable at \(path). Build it first (`swift build --product swvpnd`) "
                    + "or set SWVPND_BIN.")
        }
        return path
    }
}
