import SwvpnProtocol
import SwvpnTestSupport
import Testing

struct TCPFramingTests {
    func stream() throws -> (bytes: [UInt8], records: [[UInt8]]) {
        let lines = try Vectors.text("aes-256-cbc-sha256-keydir-tcp/tcp_stream_records.hex")
            .split(whereSeparator: \.isNewline).map(String.init)
        let records = try lines.map { try need(hex($0), "hex") }
        return (records.flatMap { $0 }, records.map { Array($0.dropFirst(2)) })
    }

    /// Feeds `chunks` through a reader, collecting records.
    func reassemble(_ chunks: [ArraySlice<UInt8>], max: Int = 1600) -> (records: [[UInt8]], error: TCPFramingError?) {
        var reader = TCPRecordReader(maxRecordLength: max)
        var out: [[UInt8]] = []
        let dest = UnsafeMutableRawBufferPointer.allocate(byteCount: 2000, alignment: 16)
        defer { dest.deallocate() }
        for chunk in chunks {
            var rest = Array(chunk)[...]
            while !rest.isEmpty {
                let r = rest.withUnsafeBytes { reader.read(from: $0, into: dest) }
                switch r {
                case .needMore: rest = []
                case .record(let length, let consumed):
                    out.append(Array(dest[..<length]))
                    rest = rest.dropFirst(consumed)
                case .error(let e): return (out, e)
                }
            }
        }
        return (out, nil)
    }

    @Test func reassemblesWholeStream() throws {
        let (bytes, records) = try stream()
        #expect(records.count == 14)
        let result = reassemble([bytes[...]])
        #expect(result.records == records)
        #expect(result.error == nil)
    }

    @Test func reassemblesStreamSplitAtEveryBoundary() throws {
        let (bytes, records) = try stream()
        for cut in 0...bytes.count {
            #expect(reassemble([bytes[..<cut], bytes[cut...]]).records == records, "cut at \(cut)")
        }
    }

    @Test func reassemblesByteByByteAndRandomChunks() throws {
        let (bytes, records) = try stream()
        #expect(reassemble(bytes.indices.map { bytes[$0...$0] }).records == records)
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<50 {
            var chunks: [ArraySlice<UInt8>] = []
            var i = 0
            while i < bytes.count {
                let n = Int.random(in: 1...300, using: &rng)
                chunks.append(bytes[i..<min(bytes.count, i + n)])
                i += n
            }
            #expect(reassemble(chunks).records == records)
        }
    }

    @Test func rejectsZeroAndOversizedLengths() {
        let zero = reassemble([[0, 0, 1, 2][...]])
        #expect(zero.error == TCPFramingError(length: 0, maximum: 1600))
        let big = reassemble([[0x06, 0x41, 1][...]])
        #expect(big.error?.length == 1601)
        #expect(big.error?.description.hasPrefix("Bad encapsulated packet length from peer (1601)") == true)
        // The reader stays failed until reset.
        var reader = TCPRecordReader(maxRecordLength: 10)
        var buf = [UInt8](repeating: 0, count: 64)
        buf.withUnsafeMutableBytes { dest in
            let bad: [UInt8] = [0, 0]
            #expect(
                bad.withUnsafeBytes { reader.read(from: $0, into: dest) }
                    == .error(TCPFramingError(length: 0, maximum: 10)))
            let good: [UInt8] = [0, 1, 9]
            #expect(
                good.withUnsafeBytes { reader.read(from: $0, into: dest) }
                    == .error(TCPFramingError(length: 0, maximum: 10)))
            reader.reset()
            #expect(good.withUnsafeBytes { reader.read(from: $0, into: dest) } == .record(length: 1, consumed: 3))
        }
    }

    @Test func writesLengthPrefixIntoHeadroom() {
        var buf = [UInt8](repeating: 0, count: 300)
        let (o, l) = buf.withUnsafeMutableBytes { TCPFraming.writeLengthPrefix($0, offset: 10, length: 0x0123) }
        #expect(o == 8 && l == 0x0125)
        #expect(buf[8] == 0x01 && buf[9] == 0x23)
    }

    @Test func survivesRandomStreams() {
        var rng = SeededGenerator(seed: 99)
        for _ in 0..<500 {
            _ = reassemble(
                [rng.bytes(Int.random(in: 0...3000, using: &rng))[...]], max: Int.random(in: 1...1600, using: &rng))
        }
    }

    /// `next(in:)` as TCPLink uses it: bytes staged in a buffer, records cut in place.
    func cutStaged(_ chunks: [ArraySlice<UInt8>], max: Int = 1600) -> (records: [[UInt8]], error: TCPFramingError?) {
        var reader = TCPRecordReader(maxRecordLength: max)
        var staged: [UInt8] = []
        var out: [[UInt8]] = []
        for chunk in chunks {
            staged += chunk
            while true {
                switch staged.withUnsafeBytes({ reader.next(in: $0) }) {
                case .needMore: break
                case .record(let length, let consumed):
                    out.append(Array(staged[consumed - length..<consumed]))
                    staged.removeFirst(consumed)
                    continue
                case .error(let e): return (out, e)
                }
                break
            }
        }
        return (out, nil)
    }

    @Test func cutsStagedStreamSplitAtEveryBoundary() throws {
        let (bytes, records) = try stream()
        for cut in 0...bytes.count {
            #expect(cutStaged([bytes[..<cut], bytes[cut...]]).records == records, "cut at \(cut)")
        }
        #expect(cutStaged(bytes.indices.map { bytes[$0...$0] }).records == records)
    }

    @Test func stagedReaderRejectsZeroAndOversizedLengthsUntilReset() {
        #expect(cutStaged([[0, 0, 1, 2][...]]).error == TCPFramingError(length: 0, maximum: 1600))
        #expect(cutStaged([[0x06, 0x41, 1][...]]).error?.length == 1601)
        var reader = TCPRecordReader(maxRecordLength: 10)
        let bad: [UInt8] = [0, 11]
        let good: [UInt8] = [0, 1, 9]
        #expect(bad.withUnsafeBytes { reader.next(in: $0) } == .error(TCPFramingError(length: 11, maximum: 10)))
        #expect(good.withUnsafeBytes { reader.next(in: $0) } == .error(TCPFramingError(length: 11, maximum: 10)))
        reader.reset()
        #expect(good.withUnsafeBytes { reader.next(in: $0) } == .record(length: 1, consumed: 3))
        #expect(
            good.withUnsafeBytes { reader.next(in: $0, limit: 0) } == .error(TCPFramingError(length: 1, maximum: 0)))
    }
}
