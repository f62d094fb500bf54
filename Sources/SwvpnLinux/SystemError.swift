import CSwvpnLinux
import Glibc

// The one SwvpnLinux file that stays `public` (the rest is `package`): the always-inlined `syscall`
// wrapper is `@usableFromInline`, and its result types must then be public.

/// A failed system call: the errno value and what was being attempted.
///
/// `syscall` names the call and, where useful, its object (`"TUNSETIFF tun0"`), so the message alone
/// tells an operator what failed.
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    public let errno: Int32
    public let syscall: String

    public init(errno: Int32, syscall: String) {
        self.errno = errno
        self.syscall = syscall
    }

    /// `strerror` text, e.g. "File exists".
    public var message: String { SystemError.text(for: errno) }

    public var description: String { "\(syscall): \(message)" }

    static func text(for code: Int32) -> String {
        // glibc's strerror is thread-safe for known codes (it returns static strings).
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}

/// Outcome of a nonblocking call: a result, or "try again when the fd is ready".
public enum IOResult<Value> {
    case processed(Value)
    case wouldBlock
}

extension IOResult: Sendable where Value: Sendable {}

extension IOResult: Equatable where Value: Equatable {}

/// Runs a call that returns `-errno` on failure (the C shim's convention), retrying `EINTR` and mapping
/// `EAGAIN` to `.wouldBlock`.
///
/// Errno is carried in the return value, never read from the thread-local later: any Swift code between the
/// failing call and the read (ARC releases, deinit) may make other calls that overwrite errno. Errnos that mean
/// a bug in this process (`EBADF`, `EFAULT`) trap instead of throwing: continuing would touch the wrong fd or
/// memory. Always inlined so the non-escaping closure costs nothing on the packet path.
@inline(__always)
@usableFromInline
func syscall(
    _ name: @autoclosure () -> String,
    _ call: () -> Int
) throws(SystemError) -> IOResult<Int> {
    while true {
        let result = call()
        if result >= 0 { return .processed(result) }
        let code = Int32(truncatingIfNeeded: -result)
        switch code {
        case EINTR:
            continue
        case EAGAIN, EWOULDBLOCK:
            return .wouldBlock
        case EBADF, EFAULT:
            fatalError("\(name()): \(SystemError.text(for: code)) — a bug in swvpnd, not a runtime condition")
        default:
            throw SystemError(errno: code, syscall: name())
        }
    }
}

/// Like `syscall` for setup calls on blocking paths, where `.wouldBlock` is itself an error.
@inline(__always)
@usableFromInline
func syscallNoWait(_ name: @autoclosure () -> String, _ call: () -> Int) throws(SystemError) -> Int {
    switch try syscall(name(), call) {
    case .processed(let value): return value
    case .wouldBlock: throw SystemError(errno: EAGAIN, syscall: name())
    }
}

/// Converts a libc `-1 + errno` result into the shim's `-errno` convention. Call it in the same expression as the
/// libc function so nothing runs in between.
@inline(__always)
@usableFromInline
func negErrno(_ result: Int32) -> Int {
    result < 0 ? -Int(Glibc.errno) : Int(result)
}

@inline(__always)
@usableFromInline
func negErrno(_ result: Int) -> Int {
    result < 0 ? -Int(Glibc.errno) : result
}

/// Owns a file descriptor and closes it once.
@usableFromInline
func closeIgnoringErrors(_ fd: Int32) {
    // close() must not be retried on EINTR on Linux: the fd is already gone.
    _ = Glibc.close(fd)
}

/// Waits up to `milliseconds` for `fd` to become writable (a full socket buffer's back-pressure).
/// Errors and timeouts both return: the caller's next send attempt reports what is wrong.
func waitWritable(_ fd: Int32, milliseconds: Int32) {
    var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
    _ = try? syscall("poll") { negErrno(poll(&pfd, 1, milliseconds)) }
}

func setNonBlocking(_ fd: Int32, what: String) throws(SystemError) {
    let flags = try syscallNoWait("fcntl(F_GETFL) \(what)") { negErrno(fcntl(fd, F_GETFL)) }
    _ = try syscallNoWait("fcntl(F_SETFL) \(what)") { negErrno(fcntl(fd, F_SETFL, Int32(flags) | O_NONBLOCK)) }
}

/// Decodes a NUL-terminated C character buffer.
func string(fromCBuffer buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
