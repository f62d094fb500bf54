import Glibc
import SwvpnLinux
import Testing

/// Kernel-touching tests need root and /dev/net/tun. They fail (never skip) when either is missing.
func requireRootAndTUN() throws {
    try #require(getuid() == 0, "SwvpnLinux kernel tests must run as root (they create network namespaces)")
    try #require(access("/dev/net/tun", R_OK | W_OK) == 0, "/dev/net/tun is missing or not accessible")
}

private final class ThreadJob: @unchecked Sendable {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

/// Runs `body` on a fresh thread that first moves into a new, empty network namespace. Every device and socket
/// the body creates lives there; when the thread ends and the fds close, the namespace and all of it vanish,
/// so cleanup is unconditional even when an expectation fails.
func inPrivateNetworkNamespace<T>(_ body: () throws -> T) throws -> T {
    try requireRootAndTUN()
    var outcome: Result<T, any Error>?
    withoutActuallyEscaping(body) { escapable in
        let job = ThreadJob {
            do {
                try NetworkNamespace.unshareCurrentThread()
                outcome = .success(try escapable())
            } catch {
                outcome = .failure(error)
            }
        }
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { context in
                Unmanaged<ThreadJob>.fromOpaque(context!).takeRetainedValue().body()
                return nil
            }, Unmanaged.passRetained(job).toOpaque())
        precondition(rc == 0, "pthread_create failed: \(rc)")
        pthread_join(thread, nil)
    }
    return try outcome!.get()
}

/// Waits until `fd` is readable; false after `milliseconds` (a hang guard, not a timing assertion).
func waitReadable(_ fd: Int32, milliseconds: Int32 = 5000) -> Bool {
    var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    return poll(&entry, 1, milliseconds) == 1
}

/// Internet checksum (RFC 1071) for building test packets.
func internetChecksum(_ bytes: [UInt8]) -> UInt16 {
    var sum: UInt32 = 0
    var i = 0
    while i + 1 < bytes.count {
        sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
        i += 2
    }
    if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
    while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
    return ~UInt16(sum)
}

func ip(_ text: String) -> SocketAddress { SocketAddress(ip: text)! }
