// OCC messages as they arrive decrypted: decode, compare a reply with our options, sanitize it
// for the log, and re-encode what decodes.
import SwvpnProtocol

private let options = OCCOptions(
    tunMTU: 1500, proto: .udp, ifconfig: ("10.8.0.1", "10.8.0.2"), keyDirection: .normal,
    cipher: .aes256CBC, digest: .sha256)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOCC(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let raw = input(data, size)
    // Behind the magic, so every input is an OCC message.
    let magic = WireFormat.occMagic
    let message = withExactCopy(raw) { body -> OCCMessage? in
        var payload = magic
        payload.append(contentsOf: body)
        return withExactCopy(payload.withUnsafeBytes { $0 }) { OCCMessage.decode(UnsafeRawBufferPointer($0)) }
    }
    guard let message else { return 0 }
    if case .reply(let text) = message {
        for warning in options.warnings(forReceived: text) {
            let line = warning.description
            check(!line.utf8.contains { $0 < 0x20 || $0 == 0x7f }, "control character in \(line.debugDescription)")
        }
        let clean = OCCMessage.sanitized(text)
        check(!clean.unicodeScalars.contains { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) }, "unsanitized")
    }
    if let length = message.encodedLength {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 16)
        defer { buffer.deallocate() }
        let written = message.encode(into: buffer, at: 0)
        check(written == length, "encoded \(String(describing: written)) of \(length)")
    }
    return 0
}
