import CSwvpnLinux
import Glibc
import SwvpnProtocol
import Synchronization

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
///
/// Writes are bounded: a send that cannot hand its records to the kernel within the stall limit
/// (a peer that stopped reading, a black-holed path) fails the connection instead of holding the
/// TX queue; the same limit is the socket's `TCP_USER_TIMEOUT`, so the kernel also gives up on data
/// that stays unacknowledged or behind a zero window. While a send waits, `sendStalledSince` says
/// since when, which the watchdog policy reads (a bounded wait is not a stuck loop).
package final class TCPLink: TunnelLink, @unchecked Sendable {  // the threading contract above
    package var isDatagram: Bool { false }
    package var readFD: Int32 { fd >= 0 ? fd : placeholder.raw }
    /// The connected peer (reported as every received packet's source), nil between connections.
    package private(set) var peer: SocketAddress?
    package var isConnected: Bool { fd >= 0 }

    /// The attached connection, and its raw value for the loops (-1 when none).
    private var connection: OwnedFD?
    private var fd: Int32 = -1
    private let placeholder: OwnedFD
    private let placeholderWriteEnd: OwnedFD
    private let maxRecordLength: Int
    private let stallMilliseconds: Int

    // RX state. Stream bytes land in `stream`; `reader` cuts whole records from it into batch slots
    // (a staging buffer, not the batch, holds a partial record between receives).
    private var reader: TCPRecordReader
    private let stream: UnsafeMutableRawPointer
    private let streamCapacity = 128 * 1024
    private var streamStart = 0
    private var streamEnd = 0
    private var closedReason: String?

    // TX state: one iovec per record of a batch, written with one `sendmsg`.
    private let iovecs: UnsafeMutablePointer<iovec>
    private let iovecCapacity = 128
    /// The connection failed on the TX side: later sends drop their records without a syscall or a
    /// second failure report, until the control plane replaces the connection.
    private var sendFailed = false
    /// Monotonic seconds since a send waits for room in the socket buffer, 0 when none waits.
    private let stalledSince = Atomic<Int64>(0)
    /// `passtos`: the TOS the TX loop last asked for (TX queue; read by `attach` while the loops are
    /// stopped), put on every new connection too, since the loop only sets it when it changes.
    private var typeOfService: UInt8 = 0

    /// - Parameters:
    ///   - maxRecordLength: the largest wire packet accepted (`PacketPathSettings.maxWirePacket`);
    ///     a longer or zero length breaks the connection, as in openvpn.
    ///   - stallMilliseconds: how long a send may wait for room before the connection is given up
    ///     (also the socket's `TCP_USER_TIMEOUT`); `TunnelSession.tcpStallSeconds` in the daemon.
    package init(maxRecordLength: Int, stallMilliseconds: Int) throws(SystemError) {
        precondition(maxRecordLength > 0 && maxRecordLength <= Int(UInt16.max))
        precondition(stallMilliseconds > 0 && stallMilliseconds <= Int(UInt32.max))
        self.maxRecordLength = maxRecordLength
        self.stallMilliseconds = stallMilliseconds
        reader = TCPRecordReader(maxRecordLength: maxRecordLength)
        // A pipe nobody writes to: its read end never becomes readable.
        var ends: [Int32] = [-1, -1]
        _ = try syscallNoWait("pipe") { negErrno(pipe(&ends)) }
        placeholder = OwnedFD(ends[0])
        placeholderWriteEnd = OwnedFD(ends[1])
        for end in ends {
            _ = try syscallNoWait("fcntl(F_SETFD) pipe") { negErrno(fcntl(end, F_SETFD, FD_CLOEXEC)) }
        }
        stream = .allocate(byteCount: streamCapacity, alignment: 64)
        iovecs = .allocate(capacity: iovecCapacity)
        iovecs.initialize(repeating: iovec(), count: iovecCapacity)
    }

    deinit {
        stream.deallocate()
        iovecs.deallocate()
    }

    /// Takes ownership of a connected socket and sets its `TCP_USER_TIMEOUT` to the stall limit and
    /// the `passtos` TOS in use (not a TCP socket, as in tests: left as it is). Only while the data plane
    /// is stopped.
    package func attach(fd: consuming OwnedFD, peer: SocketAddress) {
        precondition(self.fd < 0, "TCPLink: a connection is already attached")
        self.fd = fd.raw
        connection = consume fd
        self.peer = peer
        streamStart = 0
        streamEnd = 0
        closedReason = nil
        reader.reset()
        sendFailed = false
        stalledSince.store(0, ordering: .relaxed)
        _ = swvpn_setsockopt_int(self.fd, Int32(IPPROTO_TCP), TCP_USER_TIMEOUT, Int32(stallMilliseconds))
        if typeOfService != 0 { setTypeOfService(typeOfService) }
    }

    /// IP_TOS on the connection, as openvpn's passtos sets it on its TCP socket (an IPv6 socket applies
    /// it to IPv4-mapped peers only). Without a connection it waits for the next one.
    package func setTypeOfService(_ tos: UInt8) {
        typeOfService = tos
        if fd >= 0 { _ = swvpn_setsockopt_int(fd, Int32(IPPROTO_IP), IP_TOS, Int32(tos)) }
    }

    /// Monotonic seconds since the TX loop waits in `send` for room on the connection; 0 when it
    /// does not (any thread).
    package var sendStalledSince: Int64 { stalledSince.load(ordering: .relaxed) }

    /// Closes the connection. Only while the data plane is stopped.
    package func detach() {
        fd = -1
        connection = nil  // closes it
        peer = nil
        streamStart = 0
        streamEnd = 0
    }

    /// Ends the connection in both directions without closing the fd (any thread).
    package func shutdownConnection() {
        let fd = self.fd
        if fd >= 0 { _ = try? syscallNoWait("shutdown tcp") { negErrno(Glibc.shutdown(fd, Int32(SHUT_RDWR))) } }
    }

    // MARK: RX

    /// True when whole records (or the end of the stream) wait in the staging buffer: the socket may
    /// not become readable again for them, so the data plane must call `receive` again itself.
    package var hasBufferedInput: Bool {
        if closedReason != nil { return fd >= 0 }
        var probe = reader
        if case .needMore = probe.next(in: staged) { return false }
        return true
    }

    private var staged: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: stream + streamStart, count: streamEnd - streamStart)
    }

    package func receive(into batch: PacketBatch) throws(LinkError) -> Int {
        guard fd >= 0 else { return 0 }
        let limit = min(maxRecordLength, batch.stride)
        var n = 0
        var drained = false
        reading: while n < batch.capacity {
            let available = streamEnd - streamStart
            switch reader.next(in: staged, limit: limit) {
            case .record(let length, let consumed):
                batch.buffer(at: n).baseAddress!.copyMemory(
                    from: stream + streamStart + consumed - length, byteCount: length)
                batch.setPacket(at: n, offset: 0, length: length)
                batch.setAddress(peer, at: n)
                streamStart += consumed
                n += 1
                continue
            case .error(let e):
                closedReason = e.description
                throw .connectionClosed(e.description)
            case .needMore:
                break
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
            do throws(SystemError) {
                switch try syscall("read tcp", { swvpn_read(fd, stream + streamEnd, room) }) {
                case .wouldBlock:
                    break reading
                case .processed(0):
                    closedReason = "Connection reset by peer (end of stream)"
                case .processed(let r):
                    streamEnd += r
                    drained = r < room  // a short read emptied the socket: skip the EAGAIN round trip
                }
            } catch {
                closedReason = "Connection reset, read error: \(error.message)"
            }
        }
        batch.count = n
        return n
    }

    // MARK: TX

    /// Writes every record of the run, waiting for room when the socket buffer is full: on TCP the
    /// stream must never lose part of a record, so back-pressure (the TUN reader stalls) is correct,
    /// for as long as the stall limit; then the connection fails (see the type's comment).
    package func send(_ batch: PacketBatch, start: Int, count: Int, to _: SocketAddress) throws(LinkError) -> Int {
        let fd = self.fd
        guard fd >= 0, !sendFailed else { return count }
        var next = start
        let end = start + count
        var lost = 0
        while next < end {
            let group = min(end - next, iovecCapacity)
            var records = 0
            for i in next..<next + group {
                // A packet a 16-bit length cannot carry is dropped whole; the stream stays in step.
                guard TCPFraming.canFrame(length: batch.length(at: i)) else {
                    lost += 1
                    continue
                }
                let slot = batch.buffer(at: i)
                let record = TCPFraming.writeLengthPrefix(
                    slot, offset: batch.offset(at: i), length: batch.length(at: i))
                iovecs[records] = iovec(iov_base: slot.baseAddress! + record.offset, iov_len: record.length)
                records += 1
            }
            do throws(LinkError) {
                try writeAll(fd, count: records)
            } catch {
                sendFailed = true  // reported once; the control plane restarts on the report
                throw error
            }
            next += group
        }
        return lost
    }

    private func writeAll(_ fd: Int32, count: Int) throws(LinkError) {
        var first = 0
        var deadline: Int64 = 0  // monotonic ms, set when the socket buffer is first found full
        defer { if deadline != 0 { stalledSince.store(0, ordering: .relaxed) } }
        while first < count {
            var header = msghdr()
            header.msg_iov = iovecs + first
            header.msg_iovlen = count - first
            let result: IOResult<Int>
            do throws(SystemError) {
                result = try syscall("sendmsg tcp") { swvpn_sendmsg(fd, &header, Int32(MSG_NOSIGNAL)) }
            } catch {
                throw .connectionClosed("Connection reset, write error: \(error.message)")
            }
            guard case .processed(var written) = result else {
                let now = Clock.monotonicMilliseconds()
                if deadline == 0 {
                    deadline = now + Int64(stallMilliseconds)
                    stalledSince.store(Clock.monotonicSeconds(), ordering: .relaxed)
                }
                guard now < deadline else { throw stalled(fd) }
                // A shut-down connection (restart, tear-down) ends the wait at once: poll reports it.
                waitWritable(fd, milliseconds: Int32(min(deadline - now, 1000)))
                continue
            }
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

    /// The peer has not taken our records for the whole stall limit: give the connection up with a
    /// reset (SO_LINGER 0: its close sends RST and frees the unsent bytes at once, rather than
    /// keeping them for a peer that does not read).
    private func stalled(_ fd: Int32) -> LinkError {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        let limit =
            stallMilliseconds % 1000 == 0 ? "\(stallMilliseconds / 1000) s" : "\(stallMilliseconds) ms"
        return .connectionClosed(
            "Connection reset, write stalled for \(limit): the peer is not reading (TCP send buffer full)")
    }
}
