import SwvpnCrypto

/// The text between `<tag>` and `</tag>` in a config (in practice `<secret>`: 512 hex digits of key),
/// kept in one byte buffer of exactly its size, which `wipe()` clears with `OPENSSL_cleanse` as soon as
/// the key has been parsed from it (and `deinit` clears again).
///
/// What this does not reach, honestly: Swift gives no control over every copy. The config file's
/// bytes as read are wiped by the loader after lexing, and the reader avoids growing copies, but a
/// config handed over as a `String` (`TunnelConfig.parse(text:)`) stays with its caller, and `text`
/// below makes a copy that is not wiped (tests and diagnostics only). The key itself lives in
/// `StaticKey`, which wipes its own bytes.
// @unchecked Sendable: `bytes` changes only in `wipe()`, which the loader calls before the config is shared.
public final class InlineBlock: @unchecked Sendable, Hashable {
    private var bytes: [UInt8]

    /// `bytes` should be uniquely referenced (the lexer builds it), so `wipe()` clears the only copy.
    public init(bytes: [UInt8]) { self.bytes = bytes }

    deinit { wipe() }

    public var count: Int { bytes.count }

    /// Reads the bytes in place, without copying them.
    public func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        // Array.withUnsafeBytes only rethrows untyped errors: carry the typed one out in a Result.
        let result: Result<R, E> = bytes.withUnsafeBytes { raw in
            do throws(E) {
                return .success(try body(raw))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Overwrites the buffer and leaves the block empty.
    public func wipe() {
        SecureMemory.wipe(&bytes)
        bytes = []
    }

    /// A copy as text, not wiped: for tests and messages, never for key material in production.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public static func == (a: InlineBlock, b: InlineBlock) -> Bool { a === b || a.bytes == b.bytes }
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }
}
