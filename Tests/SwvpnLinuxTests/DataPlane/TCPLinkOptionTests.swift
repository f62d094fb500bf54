import Glibc
import SwvpnLinux
import Testing

/// The TCP link's socket options without root, on loopback connections: `passtos` on the connection
/// and carried to the next one; options set on a listening socket reach the connections it accepts.
struct TCPLinkOptionTests {
    /// One loopback connection: the listener's side (accepted) and the client.
    func loopbackConnection(configure: TCPSocket.Configure = { _ in }) throws -> (
        accepted: TCPSocket, peer: SocketAddress, client: TCPSocket
    ) {
        let listener = try TCPSocket.listen(on: try #require(SocketAddress(ip: "127.0.0.1")), configure: configure)
        let client = try TCPSocket.connect(to: try listener.localAddress())
        for _ in 0..<500 {
            if case .processed(let (socket, peer)) = try listener.accept() { return (socket, peer, client) }
            usleep(10_000)
        }
        throw SystemError(errno: ETIMEDOUT, syscall: "accept")
    }

    func intOption(_ fd: Int32, _ level: Int32, _ name: Int32) -> Int32 {
        var value: Int32 = -1
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, level, name, &value, &length) == 0 ? value : -1
    }

    /// `passtos` on TCP: the TOS goes on the connection, and a later connection starts with it (the TX
    /// loop only sets it when a packet's TOS changes).
    @Test func typeOfServiceIsOnTheConnectionAndCarriedToTheNextOne() throws {
        let link = try TCPLink(maxRecordLength: 1600, stallMilliseconds: 7000)
        let first = try loopbackConnection()
        link.attach(fd: first.accepted.releaseFD(), peer: first.peer)
        link.setTypeOfService(0xb8)
        #expect(intOption(link.readFD, Int32(IPPROTO_IP), IP_TOS) == 0xb8)
        link.detach()
        let second = try loopbackConnection()
        #expect(intOption(second.accepted.fd, Int32(IPPROTO_IP), IP_TOS) == 0, "a fresh socket")
        link.attach(fd: second.accepted.releaseFD(), peer: second.peer)
        defer { link.detach() }
        #expect(intOption(link.readFD, Int32(IPPROTO_IP), IP_TOS) == 0xb8)
        withExtendedLifetime((first.client, second.client)) {}
    }

    /// What the tunnel sets on a tcp-server's listening socket before its bind (here `mtu-disc`, which
    /// needs no privilege) is on the connections it accepts.
    @Test func listenerOptionsReachTheAcceptedConnection() throws {
        let connection = try loopbackConnection { (fd: Int32) throws(SystemError) in
            guard setIntOption(fd, Int32(IPPROTO_IP), IP_MTU_DISCOVER, IP_PMTUDISC_DO) == 0 else {
                throw SystemError(errno: errno, syscall: "setsockopt(IP_MTU_DISCOVER)")
            }
        }
        #expect(intOption(connection.accepted.fd, Int32(IPPROTO_IP), IP_MTU_DISCOVER) == IP_PMTUDISC_DO)
        #expect(intOption(connection.client.fd, Int32(IPPROTO_IP), IP_MTU_DISCOVER) != IP_PMTUDISC_DO, "the default")
    }
}

private func setIntOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) -> Int32 {
    var value = value
    return setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
}
