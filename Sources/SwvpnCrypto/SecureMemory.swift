import CLibcrypto

/// Wiping of key material with `OPENSSL_cleanse`, which the compiler cannot drop as a dead store
/// (a plain zeroing loop before `deallocate` may be optimised away).
public enum SecureMemory {
    public static func wipe(_ pointer: UnsafeMutableRawPointer, count: Int) {
        OPENSSL_cleanse(pointer, count)
    }

    /// Wipes the array's storage if this is its only reference; a shared buffer is copied first
    /// by copy-on-write, so other holders are never corrupted (they wipe their own).
    public static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { if let base = $0.baseAddress { OPENSSL_cleanse(base, $0.count) } }
    }
}
