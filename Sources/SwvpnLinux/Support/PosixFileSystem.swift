import Glibc
import SwvpnConfig

/// The real file system for the config parser and the key loader.
public struct PosixFileSystem: ConfigFileSystem, Sendable {
    public init() {}

    public func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError(errno: errno, syscall: "open \(path)") }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError(errno: errno, syscall: "read \(path)")
            }
            if n == 0 { break }
            result += chunk[0..<n]
            // Config and key files are small; refuse to slurp something that is clearly not one.
            if result.count > 4 * 1024 * 1024 { throw SystemError(errno: EFBIG, syscall: "read \(path)") }
        }
        return result
    }
}
