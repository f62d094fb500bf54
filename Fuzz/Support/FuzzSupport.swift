// Shared by every libFuzzer target (compiled into each one by scripts/fuzz.sh).
import SwvpnCrypto
import SwvpnProtocol

/// The key of the golden vectors (Tests/SwvpnProtocolTests/Vectors/keys.json), so their captured
/// packets, committed as seeds, authenticate and the fuzzer starts beyond the HMAC check.
let goldenKey: StaticKey = {
    let hex: [UInt8] = Array(("""
        f97f341e24a83aca1f1f0ec8f7daa44d54e4ad517e42fb47b3f17690d264e91115c8e8d4c561e3c594b9b040ffe4b410\
        32eb62424d236d4524a4fdae49a69ffdb0d74f8af8efd36d7999af9d14c9a6da70d8ffd2286eae248451e18ccb8233\
        4d52475a45c2acec444e2e89b28170dfaf982ae25620d9e877b22bea8fba55352e58a748824b5dd5b379969decd145\
        ec0f072bee9001456c9867ee2ab61162adaac32c9b30b9842e3ae3de85b15e79f5b57e11238d6d52aedc5be441130f\
        feb46ff93d1518a1f92e08f44561fb4624843a0427f031569ab931030cb6167f29bd63663f1ba0c43e7a8f338aa071\
        97829d6025f149c3986ce79f020cd568d3da40d5
        """ as String).utf8)
    func nibble(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : c - 0x57 }
    let bytes = stride(from: 0, to: hex.count, by: 2).map { nibble(hex[$0]) << 4 | nibble(hex[$0 + 1]) }
    return StaticKey(bytes: bytes)!
}()

/// A copy of `bytes` in its own exactly-sized allocation, so AddressSanitizer reports any access
/// one byte past what the code under test was given.
func withExactCopy<R>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
    defer { copy.deallocate() }
    if let base = bytes.baseAddress, bytes.count > 0 { copy.baseAddress!.copyMemory(from: base, byteCount: bytes.count) }
    return body(UnsafeMutableRawBufferPointer(start: copy.baseAddress, count: bytes.count))
}

/// Stops the run with a message libFuzzer keeps next to the crashing input.
func check(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #file, line: UInt = #line) {
    if !condition { fatalError("fuzz invariant: \(message())", file: file, line: line) }
}

/// The input as a buffer (libFuzzer may pass a null pointer for the empty input).
@inline(__always)
func input(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
}

@_silgen_name("__lsan_disable") private func lsanDisable()
@_silgen_name("__lsan_enable") private func lsanEnable()

/// OpenSSL's legacy and default providers (BF-CBC, DES-EDE3, CAST as `providers legacy default`),
/// loaded once. The legacy provider keeps a child library context for the life of the process that
/// LeakSanitizer sees as unreachable; a target whose inputs allocate would then report it on every
/// leak check, so the load runs with leak tracking off (what the inputs allocate is still checked).
let providersLoaded: Bool = {
    lsanDisable()
    defer { lsanEnable() }
    do {
        try CryptoProviders.load(["legacy", "default"])
        return true
    } catch {
        fatalError("fuzz setup: \(error)")
    }
}()
