import CLibcrypto

/// A libcrypto setup failure (unknown cipher, provider not loadable, RNG failure...).
///
/// Carries our own message plus whatever OpenSSL put on its thread-local error queue, which is
/// drained when the error is made so stale entries cannot leak into a later, unrelated error.
public struct CryptoError: Error, Sendable, CustomStringConvertible {
    public let message: String
    /// Lines from OpenSSL's error queue (`ERR_error_string_n`), oldest first; may be empty.
    public let openSSLErrors: [String]

    public init(message: String, openSSLErrors: [String]) {
        self.message = message
        self.openSSLErrors = openSSLErrors
    }

    /// Builds an error with `message` and drains OpenSSL's error queue into it.
    public static func fromQueue(_ message: String) -> CryptoError {
        CryptoError(message: message, openSSLErrors: drainErrorQueue())
    }

    public var description: String {
        openSSLErrors.isEmpty ? message : message + " (OpenSSL: " + openSSLErrors.joined(separator: "; ") + ")"
    }

    static func drainErrorQueue() -> [String] {
        var lines: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var text = [CChar](repeating: 0, count: 256)
            let line = text.withUnsafeMutableBufferPointer { buffer -> String in
                ERR_error_string_n(code, buffer.baseAddress, buffer.count)
                return String(cString: buffer.baseAddress!)
            }
            lines.append(line)
        }
        return lines
    }
}
