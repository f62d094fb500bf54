import CLibcrypto

/// RFC 2104 HMAC over libcrypto's low-level digests with the padded-key states hashed once.
///
/// Per packet: copy the inner state, hash the data, finish; copy the outer state, hash the inner
/// digest, finish. No allocation, no provider dispatch. Not thread-safe (one work state).
final class PrecomputedHMAC: @unchecked Sendable {
    enum Kind {
        case md5, sha1, sha224, sha256, sha384, sha512

        init?(digest: String) {
            switch digest.uppercased() {
            case "MD5": self = .md5
            case "SHA1", "SHA-1": self = .sha1
            case "SHA224", "SHA-224": self = .sha224
            case "SHA256", "SHA-256": self = .sha256
            case "SHA384", "SHA-384": self = .sha384
            case "SHA512", "SHA-512": self = .sha512
            default: return nil
            }
        }

        var length: Int {
            switch self {
            case .md5: 16
            case .sha1: 20
            case .sha224: 28
            case .sha256: 32
            case .sha384: 48
            case .sha512: 64
            }
        }

        var blockSize: Int {
            switch self {
            case .md5, .sha1, .sha224, .sha256: 64
            case .sha384, .sha512: 128
            }
        }

        var stateSize: Int {
            switch self {
            case .md5: MemoryLayout<MD5_CTX>.size
            case .sha1: MemoryLayout<SHA_CTX>.size
            case .sha224, .sha256: MemoryLayout<SHA256_CTX>.size
            case .sha384, .sha512: MemoryLayout<SHA512_CTX>.size
            }
        }

        @inline(__always)
        func initialize(_ state: UnsafeMutableRawPointer) {
            switch self {
            case .md5: _ = MD5_Init(state.assumingMemoryBound(to: MD5_CTX.self))
            case .sha1: _ = SHA1_Init(state.assumingMemoryBound(to: SHA_CTX.self))
            case .sha224: _ = SHA224_Init(state.assumingMemoryBound(to: SHA256_CTX.self))
            case .sha256: _ = SHA256_Init(state.assumingMemoryBound(to: SHA256_CTX.self))
            case .sha384: _ = SHA384_Init(state.assumingMemoryBound(to: SHA512_CTX.self))
            case .sha512: _ = SHA512_Init(state.assumingMemoryBound(to: SHA512_CTX.self))
            }
        }

        @inline(__always)
        func update(_ state: UnsafeMutableRawPointer, _ data: UnsafeRawPointer, _ count: Int) {
            switch self {
            case .md5: _ = MD5_Update(state.assumingMemoryBound(to: MD5_CTX.self), data, count)
            case .sha1: _ = SHA1_Update(state.assumingMemoryBound(to: SHA_CTX.self), data, count)
            case .sha224: _ = SHA224_Update(state.assumingMemoryBound(to: SHA256_CTX.self), data, count)
            case .sha256: _ = SHA256_Update(state.assumingMemoryBound(to: SHA256_CTX.self), data, count)
            case .sha384: _ = SHA384_Update(state.assumingMemoryBound(to: SHA512_CTX.self), data, count)
            case .sha512: _ = SHA512_Update(state.assumingMemoryBound(to: SHA512_CTX.self), data, count)
            }
        }

        @inline(__always)
        func finish(_ state: UnsafeMutableRawPointer, into output: UnsafeMutableRawPointer) {
            let out = output.assumingMemoryBound(to: UInt8.self)
            switch self {
            case .md5: _ = MD5_Final(out, state.assumingMemoryBound(to: MD5_CTX.self))
            case .sha1: _ = SHA1_Final(out, state.assumingMemoryBound(to: SHA_CTX.self))
            case .sha224: _ = SHA224_Final(out, state.assumingMemoryBound(to: SHA256_CTX.self))
            case .sha256: _ = SHA256_Final(out, state.assumingMemoryBound(to: SHA256_CTX.self))
            case .sha384: _ = SHA384_Final(out, state.assumingMemoryBound(to: SHA512_CTX.self))
            case .sha512: _ = SHA512_Final(out, state.assumingMemoryBound(to: SHA512_CTX.self))
            }
        }
    }

    let kind: Kind
    private let stateSize: Int
    /// inner (key ⊕ ipad) state, outer (key ⊕ opad) state, work state, inner digest: one block.
    private let storage: UnsafeMutableRawPointer
    private var inner: UnsafeMutableRawPointer { storage }
    private var outer: UnsafeMutableRawPointer { storage + stateSize }
    private var work: UnsafeMutableRawPointer { storage + 2 * stateSize }
    private var innerDigest: UnsafeMutableRawPointer { storage + 3 * stateSize }
    private var storageSize: Int { 3 * stateSize + 64 }

    init(kind: Kind, key: UnsafeRawBufferPointer) {
        self.kind = kind
        stateSize = (kind.stateSize + 15) & ~15
        storage = .allocate(byteCount: 3 * stateSize + 64, alignment: 16)
        let block = kind.blockSize
        let pad = UnsafeMutableRawBufferPointer.allocate(byteCount: block, alignment: 16)
        defer {
            SecureMemory.wipe(pad.baseAddress!, count: block)
            pad.deallocate()
        }
        pad.initializeMemory(as: UInt8.self, repeating: 0)
        if key.count > block {  // RFC 2104: a long key is hashed first
            kind.initialize(work)
            if let base = key.baseAddress { kind.update(work, base, key.count) }
            kind.finish(work, into: pad.baseAddress!)
        } else if key.count > 0 {
            pad.copyMemory(from: key)
        }
        for (state, byte) in [(inner, UInt8(0x36)), (outer, UInt8(0x5c))] {
            let xored = UnsafeMutableRawBufferPointer.allocate(byteCount: block, alignment: 16)
            for i in 0..<block { xored[i] = pad[i] ^ byte }
            kind.initialize(state)
            kind.update(state, xored.baseAddress!, block)
            SecureMemory.wipe(xored.baseAddress!, count: block)
            xored.deallocate()
        }
    }

    deinit {
        // The inner/outer states are key equivalents.
        SecureMemory.wipe(storage, count: storageSize)
        storage.deallocate()
    }

    @inline(__always)
    func authenticate(_ data: UnsafeRawPointer, count: Int, into output: UnsafeMutableRawPointer) -> Bool {
        work.copyMemory(from: inner, byteCount: stateSize)
        kind.update(work, data, count)
        kind.finish(work, into: innerDigest)
        work.copyMemory(from: outer, byteCount: stateSize)
        kind.update(work, innerDigest, kind.length)
        kind.finish(work, into: output)
        return true
    }
}
