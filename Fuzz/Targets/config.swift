// The config lexer and builder: input is a config file (first byte 0...0xef), or (first byte
// 0xf0...0xff) NUL-separated command-line arguments. Parsed configs are also mapped to the
// protocol layer (OCC string, packet path settings), as the daemon does at start.
import SwvpnConfig
import SwvpnProtocol

private let files = InMemoryFileSystem([
    "static.key": goldenKey.fileText,
    "inc.conf": "cipher AES-256-CBC\nauth SHA256\n",
    "loop.conf": "config loop.conf\n",
])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(input(data, size))
    guard let first = bytes.first else { return 0 }
    let config: TunnelConfig?
    if first >= 0xf0 {
        let arguments = bytes.dropFirst().split(separator: 0, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        config = try? TunnelConfig.load(arguments: arguments, fileSystem: files)
    } else {
        _ = try? ConfigLexer.lex(bytes, source: "fuzz.conf")
        var withFiles = files
        withFiles.files["fuzz.conf"] = bytes
        config = try? TunnelConfig.load(path: "fuzz.conf", fileSystem: withFiles)
    }
    if let config {
        _ = config.occOptions.localString
        _ = config.occOptions.expectedRemoteString
        for underlay in [UnderlayFamily.ipv4, .ipv6, .unknown] {
            let settings = config.packetPathSettings(underlay: underlay)
            check(settings.maxWirePacket > 0 && settings.bufferSize >= settings.payloadOffset, "settings \(settings)")
            if config.transport.isTCP {
                check(settings.maxWirePacket <= Int(UInt16.max), "TCP record of \(settings.maxWirePacket) cannot be framed")
            }
        }
        _ = config.warnings.map(\.description)
    }
    return 0
}
