import Glibc
import SwvpnLinux
import Testing

/// Tests that touch the kernel, each inside its own throwaway network namespace.
@Suite struct KernelTests {
    @Test func opensKernelChosenAndNamedTUNDevices() throws {
        try inPrivateNetworkNamespace {
            let chosen = try TUNDevice()
            #expect(chosen.name.hasPrefix("tun"))
            #expect(Int(chosen.name.dropFirst(3)) != nil)
            #expect(chosen.ifindex > 0)
            let named = try TUNDevice(name: "swvpn7")
            #expect(named.name == "swvpn7")
            #expect(named.ifindex != chosen.ifindex)
            let netlink = try Netlink()
            let info = try netlink.link(ifindex: named.ifindex)
            #expect(info.name == "swvpn7")
            #expect(info.isPointToPoint)
            // The same name twice is EBUSY from TUNSETIFF, reported with the device name.
            #expect(throws: SystemError(errno: EBUSY, syscall: "TUNSETIFF swvpn7")) { try TUNDevice(name: "swvpn7") }
        }
    }

    @Test func configuresMTUAddressAndRoutesLikeTheTutorial() throws {
        try inPrivateNetworkNamespace {
            let tun = try TUNDevice(name: "tun0")
            let netlink = try Netlink()
            try netlink.setMTU(ifindex: tun.ifindex, mtu: 1400)
            try netlink.setLink(ifindex: tun.ifindex, up: true)
            let link = try netlink.link(ifindex: tun.ifindex)
            #expect(link.mtu == 1400)
            #expect(link.isUp)

            // ifconfig 169.254.255.1 169.254.255.2
            try netlink.addAddress(
                ifindex: tun.ifindex, local: ip("169.254.255.1"), peer: ip("169.254.255.2"),
                prefixLength: 32)
            let addresses = try netlink.addresses(family: .inet).filter { $0.ifindex == tun.ifindex }
            #expect(
                addresses == [
                    InterfaceAddress(
                        ifindex: tun.ifindex, local: ip("169.254.255.1"),
                        address: ip("169.254.255.2"), prefixLength: 32)
                ])

            // route 172.16.0.0 255.255.0.0 (via the peer, with a metric)
            let route = Route(
                destination: ip("172.16.0.0"), prefixLength: 16, gateway: ip("169.254.255.2"),
                ifindex: tun.ifindex, metric: 7)
            try netlink.addRoute(route)
            let installed = try netlink.routes(family: .inet).filter { $0.destination == ip("172.16.0.0") }
            #expect(installed == [route])

            let duplicate = #expect(throws: NetlinkError.self) { try netlink.addRoute(route) }
            #expect(duplicate?.errno == EEXIST)
            #expect(duplicate?.description.hasPrefix("route 172.16.0.0/16 via 169.254.255.2 dev tun0") == true)
            #expect(duplicate?.description.contains(": File exists") == true)

            try netlink.deleteRoute(route)
            #expect(try netlink.routes(family: .inet).contains { $0.destination == ip("172.16.0.0") } == false)
            let missing = #expect(throws: NetlinkError.self) { try netlink.deleteRoute(route) }
            #expect(missing?.errno == ESRCH)

            try netlink.deleteAddress(
                ifindex: tun.ifindex, local: ip("169.254.255.1"), peer: ip("169.254.255.2"),
                prefixLength: 32)
            #expect(try netlink.addresses(family: .inet).contains { $0.ifindex == tun.ifindex } == false)
        }
    }

    @Test func configuresIPv6AddressAndRoute() throws {
        try inPrivateNetworkNamespace {
            let tun = try TUNDevice()
            let netlink = try Netlink()
            try netlink.setLink(ifindex: tun.ifindex, up: true)
            try netlink.addAddress(ifindex: tun.ifindex, local: ip("fd00:5::1"), prefixLength: 64)
            #expect(
                try netlink.addresses(family: .inet6).contains {
                    $0.ifindex == tun.ifindex && $0.local == ip("fd00:5::1") && $0.prefixLength == 64
                })
            let route = Route(
                destination: ip("fd00:6::"), prefixLength: 48, gateway: ip("fd00:5::2"),
                ifindex: tun.ifindex, metric: 300)
            try netlink.addRoute(route)
            #expect(try netlink.routes(family: .inet6).filter { $0.destination == ip("fd00:6::") } == [route])
            try netlink.deleteRoute(route)
            #expect(try netlink.routes(family: .inet6).contains { $0.destination == ip("fd00:6::") } == false)
            try netlink.deleteAddress(ifindex: tun.ifindex, local: ip("fd00:5::1"), prefixLength: 64)
        }
    }

    @Test func kernelAnswersICMPEchoWrittenIntoTUN() throws {
        try inPrivateNetworkNamespace {
            let tun = try TUNDevice()
            let netlink = try Netlink()
            try netlink.setLink(ifindex: tun.ifindex, up: true)
            try netlink.addAddress(
                ifindex: tun.ifindex, local: ip("169.254.255.1"), peer: ip("169.254.255.2"),
                prefixLength: 32)

            // Echo request from the tunnel peer (.2) to us (.1), as if it came out of the VPN.
            var icmp: [UInt8] = [8, 0, 0, 0, 0x12, 0x34, 0, 1] + Array("swvpnd".utf8)
            let icmpSum = internetChecksum(icmp)
            icmp[2] = UInt8(icmpSum >> 8)
            icmp[3] = UInt8(icmpSum & 0xff)
            var packet: [UInt8] = [
                0x45, 0, 0, UInt8(20 + icmp.count), 0, 0, 0x40, 0, 64, 1, 0, 0,
                169, 254, 255, 2, 169, 254, 255, 1,
            ]
            let ipSum = internetChecksum(packet)
            packet[10] = UInt8(ipSum >> 8)
            packet[11] = UInt8(ipSum & 0xff)
            packet += icmp
            let written = try packet.withUnsafeBytes { try tun.write($0) }
            #expect(written == .processed(packet.count))

            // The reply comes back out of the TUN device, read in a batch at the batch's headroom.
            let batch = PacketBatch(capacity: 4, stride: 2048, headroom: 64)
            var reply: [UInt8] = []
            while reply.isEmpty {
                try #require(waitReadable(tun.fd), "no packet from TUN")
                guard try tun.read(into: batch) > 0 else { continue }
                for i in 0..<batch.count {
                    let bytes = Array(batch.packet(at: i))
                    if bytes.count > 20, bytes[9] == 1 { reply = bytes }  // skip IPv6 router solicitations etc.
                }
                #expect(batch.offset(at: 0) == 64)
            }
            #expect(Array(reply[12..<16]) == [169, 254, 255, 1])
            #expect(Array(reply[16..<20]) == [169, 254, 255, 2])
            #expect(reply[20] == 0)  // echo reply
            #expect(Array(reply[24...]) == Array(icmp[4...]))
        }
    }

    @Test func udpSentToTunnelPeerComesOutOfTUN() throws {
        try inPrivateNetworkNamespace {
            let tun = try TUNDevice()
            let netlink = try Netlink()
            try netlink.setLink(ifindex: tun.ifindex, up: true)
            try netlink.addAddress(
                ifindex: tun.ifindex, local: ip("169.254.255.1"), peer: ip("169.254.255.2"),
                prefixLength: 32)
            let socket = try UDPSocket(bindingTo: SocketAddress(ip: "169.254.255.1", port: 4000)!)
            let batch = PacketBatch(capacity: 2, stride: 256, headroom: 32)
            let payload = Array("through the tunnel".utf8)
            batch.buffer(at: 0).baseAddress!.advanced(by: 32).copyMemory(from: payload, byteCount: payload.count)
            batch.setPacket(at: 0, offset: 32, length: payload.count)
            batch.setAddress(SocketAddress(ip: "169.254.255.2", port: 5000), at: 0)
            #expect(try socket.send(from: batch, count: 1) == .processed(1))

            var found = false
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
            defer { buffer.deallocate() }
            while !found {
                try #require(waitReadable(tun.fd), "no packet from TUN")
                guard case .processed(let length) = try tun.read(into: buffer) else { continue }
                let bytes = Array(buffer[0..<length])
                guard bytes.count >= 28, bytes[0] >> 4 == 4, bytes[9] == 17 else { continue }
                #expect(Array(bytes[12..<20]) == [169, 254, 255, 1, 169, 254, 255, 2])
                #expect(UInt16(bytes[20]) << 8 | UInt16(bytes[21]) == 4000)
                #expect(UInt16(bytes[22]) << 8 | UInt16(bytes[23]) == 5000)
                #expect(Array(bytes[28...]) == payload)
                found = true
            }
        }
    }

    @Test(arguments: [SocketAddress.Family.inet, .inet6])
    func udpBatchRoundTripsOnLoopback(family: SocketAddress.Family) throws {
        try inPrivateNetworkNamespace {
            try Netlink().setLink(ifindex: 1, up: true)  // lo is ifindex 1 in a fresh namespace
            let receiver = try UDPSocket(bindingTo: .loopback(family))
            let sender = try UDPSocket(bindingTo: .loopback(family))
            let sizes = try receiver.setBufferSizes(receive: 1 << 20, send: 1 << 20)
            #expect(sizes.receive >= 1 << 20)  // FORCE works as root
            let receiverAddress = try receiver.localAddress()
            let senderAddress = try sender.localAddress()
            #expect(receiverAddress.port != 0)

            let outgoing = PacketBatch(capacity: 8, stride: 512, headroom: 40)
            for i in 0..<8 {
                let payload = [UInt8](repeating: UInt8(i), count: 100 + i)
                outgoing.buffer(at: i).baseAddress!.advanced(by: 40).copyMemory(from: payload, byteCount: payload.count)
                outgoing.setPacket(at: i, offset: 40, length: payload.count)
                outgoing.setAddress(receiverAddress, at: i)
            }
            #expect(try sender.send(from: outgoing, count: 8) == .processed(8))

            let incoming = PacketBatch(capacity: 16, stride: 512, headroom: 24)
            var seen = 0
            while seen < 8 {
                try #require(waitReadable(receiver.fd), "datagrams did not arrive")
                guard case .processed(let count) = try receiver.receive(into: incoming) else { continue }
                #expect(incoming.count == count)
                for i in 0..<count {
                    let index = seen + i
                    #expect(incoming.offset(at: i) == 24)
                    #expect(Array(incoming.packet(at: i)) == [UInt8](repeating: UInt8(index), count: 100 + index))
                    #expect(incoming.address(at: i) == senderAddress)
                }
                seen += count
            }
            #expect(try receiver.receive(into: incoming) == .wouldBlock)
        }
    }

    @Test func udpSegmentationSplitsOneBufferIntoDatagrams() throws {
        try #require(UDPSocket.offloadSupport.segmentation, "kernel lacks UDP_SEGMENT")
        try inPrivateNetworkNamespace {
            try Netlink().setLink(ifindex: 1, up: true)
            let receiver = try UDPSocket(bindingTo: .loopback(.inet))
            let sender = try UDPSocket(bindingTo: .loopback(.inet))
            let batch = PacketBatch(capacity: 4, stride: 1024)
            let payload = (0..<300).map { UInt8($0 / 100) }  // three 100-byte segments: 0…, 1…, 2…
            batch.buffer(at: 0).baseAddress!.copyMemory(from: payload, byteCount: payload.count)
            batch.setPacket(at: 0, offset: 0, length: payload.count)
            batch.setAddress(try receiver.localAddress(), at: 0)
            batch.setSegmentSize(100, at: 0)
            #expect(try sender.send(from: batch, count: 1) == .processed(1))

            let incoming = PacketBatch(capacity: 8, stride: 512)
            var datagrams: [[UInt8]] = []
            while datagrams.count < 3 {
                try #require(waitReadable(receiver.fd), "segments did not arrive")
                guard case .processed(let count) = try receiver.receive(into: incoming) else { continue }
                for i in 0..<count { datagrams.append(Array(incoming.packet(at: i))) }
            }
            #expect(
                datagrams == [
                    [UInt8](repeating: 0, count: 100), [UInt8](repeating: 1, count: 100),
                    [UInt8](repeating: 2, count: 100),
                ])
        }
    }
}
