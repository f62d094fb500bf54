// TCPRecordReader: a TCP stream cut into arbitrary chunks. Input: [max hi, max lo, dest hi, dest lo,
// chunk sizes seed, stream...]. Every record must fit the destination and the stated maximum.
import SwvpnProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTCPRecord(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    guard bytes.count >= 5 else { return 0 }
    let maxRecord = max(1, Int(bytes[0]) << 8 | Int(bytes[1]))
    let destinationSize = Int(bytes[2]) << 8 | Int(bytes[3])
    var chunkSeed = Int(bytes[4])
    var reader = TCPRecordReader(maxRecordLength: maxRecord)
    let destination = UnsafeMutableRawBufferPointer.allocate(byteCount: max(destinationSize, 1), alignment: 16)
    defer { destination.deallocate() }
    let target = UnsafeMutableRawBufferPointer(start: destination.baseAddress, count: destinationSize)
    var stream = UnsafeRawBufferPointer(rebasing: bytes[5...])
    while !stream.isEmpty {
        // Chunks of 1...256 bytes, varying: the reader must not care where reads split.
        chunkSeed = (chunkSeed &* 33 &+ 7) & 0xff
        let take = min(stream.count, chunkSeed + 1)
        let done = withExactCopy(UnsafeRawBufferPointer(rebasing: stream[..<take])) { chunk -> Bool in
            var offset = 0
            while offset < chunk.count {
                let rest = UnsafeRawBufferPointer(rebasing: chunk[offset...])
                switch reader.read(from: rest, into: target) {
                case .record(let length, let consumed):
                    check(length > 0 && length <= min(maxRecord, destinationSize), "record of \(length)")
                    check(consumed > 0 && consumed <= rest.count, "consumed \(consumed) of \(rest.count)")
                    offset += consumed
                case .needMore:
                    return false
                case .error:
                    return true
                }
            }
            return false
        }
        if done { break }
        stream = UnsafeRawBufferPointer(rebasing: stream[take...])
    }
    return 0
}
