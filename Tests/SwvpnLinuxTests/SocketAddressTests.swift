import Glibc
import SwvpnLinux
import Testing

@Suite struct SocketAddressTests {
    @Test func parsesIPv4WithPort() throws {
        let address = try #require(SocketAddress(parsing: "169.254.255.2:1194"))
        #expect(address.family == .inet)
        #expect(address.port == 1194)
        #expect(address.ipString == "169.254.255.2")
        #expect(address.description == "169.254.255.2:1194")
        #expect(address.addressBytes == [169, 254, 255, 2])
    }

    @Test func parsesBracketedIPv6WithPort() throws {
        let address = try #require(SocketAddress(parsing: "[fd00::1]:443"))
        #expect(address.family == .inet6)
        #expect(address.port == 443)
        #expect(address.ipString == "fd00::1")
        #expect(address.description == "[fd00::1]:443")
        #expect(address.addressBytes == [0xfd, 0] + [UInt8](repeating: 0, count: 13) + [1])
    }

    @Test func rejectsMalformedAddresses() {
        #expect(SocketAddress(parsing: "10.0.0.1") == nil)
        #expect(SocketAddress(parsing: "10.0.0.1:99999") == nil)
        #expect(SocketAddress(parsing: "::1:80") == nil)
        #expect(SocketAddress(parsing: "[::1]") == nil)
        #expect(SocketAddress(parsing: "[10.0.0.1]:80") == nil)
        #expect(SocketAddress(ip: "300.1.1.1") == nil)
        #expect(SocketAddress(ip: "vpn.example.com") == nil)
    }

    @Test func equalityIncludesPort() {
        #expect(SocketAddress(ip: "10.0.0.1", port: 1) == SocketAddress(ip: "10.0.0.1", port: 1))
        #expect(SocketAddress(ip: "10.0.0.1", port: 1) != SocketAddress(ip: "10.0.0.1", port: 2))
        #expect(SocketAddress(ip: "::1", port: 1) != SocketAddress(ip: "127.0.0.1", port: 1))
        var changed = SocketAddress(ip: "::1", port: 1)!
        changed.port = 9
        #expect(changed == SocketAddress(parsing: "[::1]:9"))
    }

    @Test func roundTripsThroughSockaddrStorage() throws {
        for text in ["192.0.2.7:53", "[2001:db8::42]:65535", "0.0.0.0:0"] {
            let address = try #require(SocketAddress(parsing: text))
            var storage = sockaddr_storage()
            let length = address.write(to: &storage)
            #expect(
                Int(length)
                    == (address.family == .inet ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size))
            #expect(SocketAddress(&storage) == address)
        }
    }

    @Test func resolvesNumericHostsWithoutDNS() throws {
        #expect(
            try NameResolution.resolve(host: "127.0.0.1", port: 1194) == [SocketAddress(parsing: "127.0.0.1:1194")!])
        let v6 = try NameResolution.resolve(host: "::1", port: 7, family: .inet6)
        #expect(v6 == [SocketAddress(parsing: "[::1]:7")!])
    }

    @Test func systemErrorNamesCallAndReason() {
        let error = SystemError(errno: EEXIST, syscall: "TUNSETIFF tun0")
        #expect(error.description == "TUNSETIFF tun0: File exists")
    }
}
