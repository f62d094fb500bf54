import CLibcrypto

/// One packet for `CBCCipher.encryptLanes`: `length` bytes at `data` (a multiple of the block size,
/// already padded) encrypted in place under the IV at `iv`.
public struct CBCLane {
    public var data: UnsafeMutableRawPointer
    public var length: Int
    public var iv: UnsafeRawPointer

    public init(data: UnsafeMutableRawPointer, length: Int, iv: UnsafeRawPointer) {
        self.data = data
        self.length = length
        self.iv = iv
    }
}

// Multi-buffer CBC encryption. CBC encryption of one packet is serial: each block waits for the
// previous ciphertext block, so the AES unit idles between rounds. Several packets' chains are
// independent, though: block j of up to `laneWidth` packets is XORed with its own chaining value
// here and the group is encrypted by one call into OpenSSL's AES (ECB mode over distinct blocks,
// which OpenSSL pipelines). The result is byte for byte what CBC gives for each packet (tested
// against `encrypt` for every length and lane count); OpenSSL still does every block cipher call.
extension CBCCipher {
    /// Packets encrypted together per OpenSSL call (AES-NI pipelines 8 blocks).
    public static let laneWidth = 8

    /// True when `encryptLanes` can run (encrypt context, 16-byte block, ECB variant available).
    public var supportsLanes: Bool { laneContext != nil }

    /// Encrypts every lane in place (no padding added: lengths must be block multiples). `scratch`
    /// holds `laneWidth * blockSize` bytes. False when a lane is malformed or libcrypto failed.
    public func encryptLanes(
        _ lanes: UnsafeMutablePointer<CBCLane>, count: Int, scratch: UnsafeMutableRawPointer
    ) -> Bool {
        guard let laneContext, count >= 0 else { return false }
        var first = 0
        while first < count {
            let group = min(Self.laneWidth, count - first)
            var longest = 0
            for k in 0..<group {
                let length = lanes[first + k].length
                guard length >= 0, length % 16 == 0, length <= Int(Int32.max) else { return false }
                longest = max(longest, length)
            }
            var offset = 0
            while offset < longest {
                // Gather: block `offset` of each lane still that long, XORed with its chaining value.
                var active = 0
                for k in 0..<group where lanes[first + k].length > offset {
                    let lane = lanes[first + k]
                    let chain = offset == 0 ? lane.iv : UnsafeRawPointer(lane.data + offset - 16)
                    xorBlock(UnsafeRawPointer(lane.data + offset), chain, into: scratch + active * 16)
                    active += 1
                }
                var produced: Int32 = 0
                let bytes = scratch.assumingMemoryBound(to: UInt8.self)
                guard EVP_EncryptUpdate(laneContext, bytes, &produced, bytes, Int32(active * 16)) == 1,
                    produced == Int32(active * 16)
                else {
                    ERR_clear_error()
                    return false
                }
                // Scatter the ciphertext blocks back in place, in the same lane order.
                active = 0
                for k in 0..<group where lanes[first + k].length > offset {
                    (lanes[first + k].data + offset).copyMemory(from: scratch + active * 16, byteCount: 16)
                    active += 1
                }
                offset += 16
            }
            first += group
        }
        return true
    }
}

@inline(__always)
private func xorBlock(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, into out: UnsafeMutableRawPointer) {
    let lo = a.loadUnaligned(as: UInt64.self) ^ b.loadUnaligned(as: UInt64.self)
    let hi = a.loadUnaligned(fromByteOffset: 8, as: UInt64.self) ^ b.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
    out.storeBytes(of: lo, as: UInt64.self)
    out.storeBytes(of: hi, toByteOffset: 8, as: UInt64.self)
}

/// The ECB context for `encryptLanes`, or nil when the cipher has no such variant here (Blowfish
/// and other 8-byte block ciphers keep the one-packet path).
func makeLaneContext(cbcName: String, cipher: OpaquePointer, key: UnsafeRawBufferPointer) -> OpaquePointer? {
    guard EVP_CIPHER_get_block_size(cipher) == 16, cbcName.uppercased().hasSuffix("-CBC") else { return nil }
    let ecbName = String(cbcName.dropLast(4)) + "-ECB"
    guard let ecb = EVP_CIPHER_fetch(nil, ecbName, nil) else {
        ERR_clear_error()
        return nil
    }
    defer { EVP_CIPHER_free(ecb) }
    guard EVP_CIPHER_get_key_length(ecb) == EVP_CIPHER_get_key_length(cipher), let context = EVP_CIPHER_CTX_new()
    else { return nil }
    guard
        EVP_CipherInit_ex2(context, ecb, key.baseAddress?.assumingMemoryBound(to: UInt8.self), nil, 1, nil) == 1,
        EVP_CIPHER_CTX_set_padding(context, 0) == 1
    else {
        EVP_CIPHER_CTX_free(context)
        ERR_clear_error()
        return nil
    }
    return context
}
