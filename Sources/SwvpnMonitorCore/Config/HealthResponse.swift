/// The parts of an HTTP/1.x answer the monitor uses: the status code and the body.
public struct HealthResponse: Sendable, Hashable {
    public var status: Int
    public var body: [UInt8]

    /// The request the monitor sends (HTTP/1.0: one exchange, the server closes).
    public static func request(_ endpoint: HealthEndpoint) -> [UInt8] {
        Array(
            "GET \(endpoint.path) HTTP/1.0\r\nHost: \(endpoint.address):\(endpoint.port)\r\nUser-Agent: swvpn-monitor\r\nAccept: application/json\r\n\r\n"
                .utf8)
    }

    /// nil unless `bytes` starts with `HTTP/1.x NNN` and holds the whole head.
    public static func parse(_ bytes: [UInt8]) -> HealthResponse? {
        guard bytes.count >= 12, bytes.starts(with: Array("HTTP/1.".utf8)), bytes[8] == 0x20 else { return nil }
        let digits = bytes[9..<12]
        guard digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        let status = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        var index = 0
        while index + 3 < bytes.count {
            if bytes[index] == 0x0D, bytes[index + 1] == 0x0A, bytes[index + 2] == 0x0D, bytes[index + 3] == 0x0A {
                return HealthResponse(status: status, body: Array(bytes[(index + 4)...]))
            }
            index += 1
        }
        return nil
    }
}
