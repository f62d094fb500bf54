import CSwvpnLinux
import Glibc
import SwvpnProtocol

/// `proto tcp-server`/`tcp-client`: one TCP connection carrying records `uint16 BE length ‖ packet`
/// (PROTOCOL.md §5).
///
/// The link object lives as long as the tunnel; connections come and go. Threading contract:
/// `receive` runs on the RX queue, `send` on the TX queue, `attach`/`detach` on the control queue
/// only while the data plane is stopped (its `stop()` waits for both loops, which orders the fd
/// change before the loops run again); `shutdownConnection()` may be called at any time — it
/// wakes a sender blocked on a full socket and makes the reader see the end of the stream.
///
/// While no connection is attached `readFD` is a placeholder that never becomes readable, so the
/// data plane can run its TUN side (packets are counted as lost, as with no UDP peer).
public final class TCPLink: TunnelLink, @unchecked Sendable {
    public var isDatagram: Bool { false }
    public var readFD: Int32 { fd >= 0 ? fd : placeholder }
    /// The connected peer (reported as every received packet's source), nil between connections.
    public private(set) var peer: SocketAddress?
    public var isConnected: Bool { fd >= 0 }

    private var fd: Int32 = -1
    private let placeholder: Int32
    private let placeholderWriteEnd: Int32
    private let maxRecordLength: Int

    // RX state. Stream bytes land in `stream`; whole records are cut from it into batch slots.
    // (Not `TCPRecordReader`: it keeps a partial record in its destination across calls, which
    // would pin a batch slot between receives; a staging buffer lets a partial record wait there.)
    private let stream: UnsafeMutableRawPointer
    private let streamCapacity = 128 * 1024
    private var streamStart = 0
    private var streamEnd = 0
    private var closedReason: String?

    // TX state: one iovec per record of a batch, written with one `sendmsg`.
    private let iovecs: UnsafeMutablePointer<iovec>
    private let iovecCapacity = 128

    /// - Parameter maxRecordLength: the largest wire packet accepted (`PacketPathSettings.maxWirePacket`);
    ///   a longer or zero length breaks the connection, as in openvpn.
    public init(maxRecordLength: Int) throws(SystemError) {
        precondition(maxRecordLength > 0 && maxRecordLength <= Int(UInt16.max))
        self.maxRecordLength = maxRecordLength
        // A pipe nobody writes to: its read end never becomes readable.
        var ends: [Int32] = [-1, -1]
        _ = try syscallNoWait("pipe") { negErrno(pipe(&ends)) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        placeholder = ends[0]
        placeholderWriteEnd = ends[1]
        stream = .allocate(byteCount: streamCapacity, alignment: 64)
        iovecs = .allocate(capacity: iovecCapacity)
        iovecs.initialize(repeating: iovec(), count: iovecCapacity)
    }

    deinit {
        if fd >= 0 { closeIgnoringErrors(fd) }
        closeIgnoringErrors(placeholder)
        closeIgnoringErrors(placeholderWriteEnd)
        stream.deallocate()
        iovecs.deallocate()
    }

    /// Takes ownership of a connected socket. Only while the data plane is stopped.
    public func attach(fd: Int32, peer: SocketAddress) {
        precondition(self.fd < 0, "TCPLink: a connection is already attached")
        self.fd = fd
        self.peer = peer
        streamStart = 0
        streamEnd = 0
        closedReason = nil
    }

    /// Closes the connection. Only while the data plane is stopped.
    public func detach() {
        if fd >= 0 { closeIgnoringErrors(fd) }
        fd = -1
        peer = nil
        streamStart = 0
        streamEnd = 0
    }

    /// Ends the connection in both directions without closing the fd (any thread).
    public func shutdownConnection() {
        let fd = self.fd
        if fd >= 0 { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    }

    // MARK: RX

    /// True when whole records (or the end of the stream) wait in the staging buffer: the socket may
    /// not become readable again for them, so the data plane must call `receive` again itself.
    public var hasBufferedInput: Bool {
        if closedReason != nil { return fd >= 0 }
        let available = streamEnd - streamStart
        guard available >= 2 else { return false }
        let p = stream + streamStart
        let length = Int(p.load(as: UInt8.self)) << 8 | Int(p.load(fromByteOffset: 1, as: UInt8.self))
        return available >= 2 + length
    }

    public func receive(into batch: PacketBatch) throws(LinkError) -> Int {
        guard fd >= 0 else { return 0 }
        let limit = min(maxRecordLength, batch.stride)
        var n = 0
        var drained = false
        while n < batch.capacity {
            let available = streamEnd - streamStart
            if available >= 2 {
                let p = stream + streamStart
                let length = Int(p.load(as: UInt8.self)) << 8 | Int(p.load(fromByteOffset: 1, as: UInt8.self))
                guard length > 0 && length <= limit else {
                    closedReason = TCPFramingError(length: length, maximum: limit).description
                    throw .connectionClosed(closedReason!)
                }
                if available >= 2 + length {
                    batch.buffer(at: n).baseAddress!.copyMemory(from: p + 2, byteCount: length)
                    batch.setPacket(at: n, offset: 0, length: length)
                    batch.setAddress(peer, at: n)
                    streamStart += 2 + length
                    n += 1
                    continue
                }
            }
            if let closedReason {
                if n > 0 { break }  // deliver what arrived before the end first
                throw .connectionClosed(closedReason)
            }
            if drained { break }
            if streamStart > 0 {
                // Keep the partial record at the front (at most one record's worth of bytes).
                if available > 0 { memmove(stream, stream + streamStart, available) }
                streamStart = 0
                streamEnd = available
            }
            let room = streamCapacity - streamEnd
            let r = swvpn_read(fd, stream + streamEnd, room)
            if r > 0 {
                streamEnd += r
                drained = r < room  // a short read emptied the socket: skip the EAGAIN round trip
            } else if r == 0 {
                closedReason = "Connection reset by peer (end of stream)"
            } else {
                let code = Int32(-r)
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK { break }
                closedReason = "Connection reset, read error: \(SystemError.text(for: code))"
            }
        }
        batch.count = n
        return n
    }

    // MARK: TX

    /// Writes every record of the run, waiting for room when the socket buffer is full: on TCP the
    /// stream must never lose part of a record, so back-pressure (the TUN reader stalls) is correct.
    public func send(_ batch: PacketBatch, start: Int, count: Int, to _: SocketAddress) throws(LinkError) -> Int {
        let fd = self.fd
        guard fd >= 0 else { return count }
        var next = start
        let end = start + count
        while next < end {
            let group = min(end - next, iovecCapacity)
            for j in 0..<group {
                let i = next + j
                let slot = batch.buffer(at: i)
                let record = TCPFraming.writeLengthPrefix(slot, offset: batch.offset(at: i), length: batch.length(at: i))
                iovecs[j] = iovec(iov_base: slot.baseAddress! + record.offset, iov_len: record.length)
            }
            try writeAll(fd, count: group)
            next += group
        }
        return 0
    }

    private func writeAll(_ fd: Int32, count: Int) throws(LinkError) {
        var first = 0
        while first < count {
            var header = msghdr()
            header.msg_iov = iovecs + first
            header.msg_iovlen = count - first
            let r = swvpn_sendmsg(fd, &header, Int32(MSG_NOSIGNAL))
            if r < 0 {
                let code = Int32(-r)
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK {
                    var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&pfd, 1, 1000)
                    continue
                }
                throw .connectionClosed("Connection reset, write error: \(SystemError.text(for: code))")
            }
            var written = r
            while written > 0 {
                let length = iovecs[first].iov_len
                if written >= length {
                    written -= length
                    first += 1
                } else {
                    iovecs[first].iov_base += written
                    iovecs[first].iov_len = length - written
                    written = 0
                }
            }
        }
    }
}
