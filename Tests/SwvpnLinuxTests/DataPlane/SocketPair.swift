import Glibc
import SwvpnLinux

/// Both ends of a nonblocking `socketpair(2)`; tests use them as fake devices and links, so the
/// data plane runs without root, TUN or network namespaces.
final class SocketPair: @unchecked Sendable {  // fds are immutable; each end has one reader and one writer
    let inner: Int32
    let outer: Int32

    init(_ type: __socket_type) {
        var fds: [Int32] = [-1, -1]
        let rc = socketpair(
            AF_UNIX, Int32(type.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds)
        precondition(rc == 0, "socketpair: \(String(cString: strerror(errno)))")
        inner = fds[0]
        outer = fds[1]
    }

    deinit {
        close(inner)
        close(outer)
    }
}

/// Writes `bytes` to `fd`, waiting while the socket is full.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var done = 0
    while done < bytes.count {
        let n = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n > 0 {
            done += n
        } else if n < 0 && (errno == EAGAIN || errno == EINTR) {
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&pfd, 1, 100)
        } else {
            preconditionFailure("write: \(String(cString: strerror(errno)))")
        }
    }
}

/// Reads one message (datagram, or whatever a stream has) from `fd`, waiting up to `timeout` ms.
func readOne(_ fd: Int32, timeout: Int32 = 5000) -> [UInt8]? {
    var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    guard poll(&pfd, 1, timeout) > 0 else { return nil }
    var buffer = [UInt8](repeating: 0, count: 70_000)
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    return n > 0 ? Array(buffer[..<n]) : nil
}

/// A packet device on a `SOCK_SEQPACKET` pair: the data plane reads and writes `inner` as it would a
/// TUN fd (one IP packet per read or write); the test plays the kernel on `outer`.
final class SocketPairDevice: PacketDevice, @unchecked Sendable {  // `pair` is immutable
    let pair = SocketPair(SOCK_SEQPACKET)

    var readFD: Int32 { pair.inner }

    func readPackets(into batch: PacketBatch) throws(SystemError) -> Int {
        var received = 0
        while received < batch.capacity {
            let slot = batch.slotBase(received) + batch.headroom
            let n = read(pair.inner, slot, batch.stride - batch.headroom)
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { break }
                throw SystemError(errno: errno, syscall: "read fake device")
            }
            guard batch.setPacket(at: received, offset: batch.headroom, length: n) else { break }
            received += 1
        }
        batch.count = received
        return received
    }

    func writePacket(_ packet: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        let n = write(pair.inner, packet.baseAddress, packet.count)
        if n >= 0 { return .processed(n) }
        if errno == EAGAIN { return .wouldBlock }
        throw SystemError(errno: errno, syscall: "write fake device")
    }

    /// The kernel side: a packet "read from the TUN device" by the data plane.
    func inject(_ packet: [UInt8]) { writeAll(pair.outer, packet) }

    /// The kernel side: the next packet the data plane wrote, or nil after `timeout` ms.
    func delivered(timeout: Int32 = 5000) -> [UInt8]? { readOne(pair.outer, timeout: timeout) }
}
