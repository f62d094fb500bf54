// The static key file parser. A parsed key must round-trip through `fileText`.
import SwvpnProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKeyFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(input(data, size))
    guard let key = try? StaticKey.parse(bytes, source: "fuzz.key") else { return 0 }
    let again = try? StaticKey.parse(Array(key.fileText.utf8), source: "round-trip")
    check(again?.fileText == key.fileText, "key does not round-trip")
    for cipher in CipherSpec.all { _ = try? key.validate(for: cipher) }
    return 0
}
