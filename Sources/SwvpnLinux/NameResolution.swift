import CSwvpnLinux
import Glibc

/// A `getaddrinfo` failure, e.g. for `remote vpn.example.com`.
package struct ResolutionError: Error, Sendable, CustomStringConvertible {
    package let host: String
    package let code: Int32
    package let message: String

    package init(host: String, code: Int32, message: String) {
        self.host = host
        self.code = code
        self.message = message
    }

    package var description: String { "cannot resolve \(host): \(message)" }
}

package enum NameResolution {
    /// Resolves `host` (a name or numeric address) for UDP or TCP, in the resolver's preference order.
    /// Blocking: call it off any packet queue. `family` restricts the result (OpenVPN `proto udp4`/`udp6`).
    package static func resolve(
        host: String,
        port: UInt16,
        family: SocketAddress.Family? = nil,
        stream: Bool = false
    ) throws(ResolutionError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = family?.rawValue ?? AF_UNSPEC
        hints.ai_socktype = Int32(stream ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0 else {
            let text = rc == EAI_SYSTEM ? SystemError.text(for: errno) : String(cString: gai_strerror(rc))
            throw ResolutionError(host: host, code: rc, message: text)
        }
        defer { freeaddrinfo(list) }
        var result: [SocketAddress] = []
        var node = list
        while let current = node {
            if let addr = current.pointee.ai_addr {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { dst in
                    dst.copyMemory(from: UnsafeRawBufferPointer(start: addr, count: Int(current.pointee.ai_addrlen)))
                }
                if let address = SocketAddress(&storage), !result.contains(address) {
                    result.append(address)
                }
            }
            node = current.pointee.ai_next
        }
        guard !result.isEmpty else {
            throw ResolutionError(host: host, code: EAI_NONAME, message: "no usable address")
        }
        return result
    }
}
