// LZO and LZ4 decompression (SwvpnCompression), as the receive path runs it on a peer's packet:
// arbitrary bytes never crash it and never give more output than the buffer holds, and what the
// real libraries compressed comes back whole (and is refused by a buffer one byte too small).
// Input: [mode, capacity high, capacity low, bytes...]
//   mode bit 0: LZO (0) or LZ4 (1); bit 1: bytes are plaintext, compressed first (round trip)
//   capacity: the output buffer's size, 0...65535 (the round trip uses the plaintext's size)
// liblzo2 and liblz4 are the system's builds, which AddressSanitizer does not instrument: every
// buffer handed to them ends at a PROT_NONE guard page, so an overrun crashes even inside them.
import Glibc

@testable import SwvpnCompression
@testable import SwvpnProtocol

/// `count` bytes that end exactly where an inaccessible page starts.
private struct Guarded {
    let mapping: UnsafeMutableRawPointer
    let mappingLength: Int
    let buffer: UnsafeMutableRawBufferPointer

    init(count: Int) {
        let page = Int(getpagesize())
        let pages = (count + page - 1) / page + 1
        mappingLength = pages * page
        guard let m = mmap(nil, mappingLength, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            m != MAP_FAILED
        else { fatalError("fuzz setup: mmap failed") }
        mapping = m
        let guardPage = m + (pages - 1) * page
        check(mprotect(guardPage, page, PROT_NONE) == 0, "mprotect failed")
        buffer = UnsafeMutableRawBufferPointer(start: guardPage - count, count: count)
    }

    init(copying bytes: UnsafeRawBufferPointer) {
        self.init(count: bytes.count)
        if bytes.count > 0 { buffer.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
    }

    func release() { munmap(mapping, mappingLength) }
}

private func decompress(_ algorithm: PacketDecompressor.Algorithm, _ input: UnsafeRawBufferPointer, capacity: Int)
    -> Result<[UInt8], PacketDecompressor.Drop>
{
    let source = Guarded(copying: input)
    let output = Guarded(count: capacity)
    defer {
        source.release()
        output.release()
    }
    switch PacketDecompressor.decompress(algorithm, UnsafeRawBufferPointer(source.buffer), into: output.buffer) {
    case .success(let length):
        check(length >= 0 && length <= capacity, "decompressed \(length) bytes into \(capacity)")
        return .success(Array(UnsafeRawBufferPointer(rebasing: output.buffer[0..<length])))
    case .failure(let drop):
        _ = drop.description
        return .failure(drop)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecompress(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    guard bytes.count >= 3 else { return 0 }
    let lz4 = bytes[0] & 1 != 0
    let algorithm: PacketDecompressor.Algorithm = lz4 ? .lz4 : .lzo
    let body = UnsafeRawBufferPointer(rebasing: bytes[3...])
    guard bytes[0] & 2 != 0 else {
        let capacity = Int(bytes[1]) << 8 | Int(bytes[2])
        _ = decompress(algorithm, body, capacity: capacity)
        // The receive path's own buffer (DecompressionBuffer), as the data plane sizes it.
        let path = DecompressionBuffer(capacity: max(capacity, 1))
        if case .success(let out) = path.decompress(lz4 ? .lz4 : .lzo, body) {
            check(out.count <= max(capacity, 1), "DecompressionBuffer gave \(out.count) bytes, capacity \(capacity)")
        }
        return 0
    }
    // Round trip through the sender's compressor.
    guard body.count > 0 else { return 0 }
    let compressor = CompressionBuffer(capacity: body.count)
    guard let packed = compressor.compress(lz4 ? .lz4 : .lzo, body) else { return 0 }  // did not shrink
    check(packed.count < body.count, "compressed \(body.count) bytes to \(packed.count)")
    let packedCopy = Array(packed)
    let whole = packedCopy.withUnsafeBytes { decompress(algorithm, $0, capacity: body.count) }
    guard case .success(let plain) = whole else {
        check(false, "\(algorithm) data compressed by the library did not decompress: \(whole)")
        return 0
    }
    check(plain.elementsEqual(body), "\(algorithm) round trip changed the data")
    if case .success = packedCopy.withUnsafeBytes({ decompress(algorithm, $0, capacity: body.count - 1) }) {
        check(false, "\(algorithm) data fit a buffer one byte smaller than its plaintext")
    }
    return 0
}
