import SwvpnTestSupport
import Testing

@testable import SwvpnCrypto

/// `encryptLanes` must give exactly what one-packet CBC gives, whatever the lengths and lane counts.
@Suite struct CBCLaneTests {
    @Test(arguments: ["AES-128-CBC", "AES-192-CBC", "AES-256-CBC"])
    func lanesMatchOnePacketCBCForEveryLengthAndCount(_ name: String) throws {
        var generator = SeededGenerator(seed: 11)
        let keyLength = name.contains("128") ? 16 : name.contains("192") ? 24 : 32
        let key = (0..<keyLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let lanesCipher = try CBCCipher(name: name, key: key, operation: .encrypt)
        let serial = try CBCCipher(name: name, key: key, operation: .encrypt)
        #expect(lanesCipher.supportsLanes)
        for count in [1, 2, 7, 8, 9, 16, 17, 40] {
            // Mixed lengths (as a batch of unequal packets) including one block and empty-but-padded.
            let plains = (0..<count).map { i in
                (0..<((i * 37 + count * 101) % 1500)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            }
            let ivs = (0..<count).map { _ in (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) } }
            let expected = try zip(plains, ivs).map { plain, iv in
                var buffer = plain + [UInt8](repeating: 0, count: 16)
                let n = try #require(
                    buffer.withUnsafeMutableBytes { b in
                        iv.withUnsafeBytes { serial.encrypt(b.baseAddress!, length: plain.count, iv: $0.baseAddress!) }
                    })
                return Array(buffer[..<n])
            }
            // The batch: PKCS#7 padded by the caller, then all encrypted in place together.
            var buffers = plains.map { p -> [UInt8] in
                let pad = 16 - p.count % 16
                return p + [UInt8](repeating: UInt8(pad), count: pad)
            }
            let flat = UnsafeMutableRawPointer.allocate(
                byteCount: buffers.map(\.count).reduce(0, +) + 16 * count, alignment: 16)
            let ivFlat = UnsafeMutableRawPointer.allocate(byteCount: 16 * count, alignment: 16)
            let lanes = UnsafeMutablePointer<CBCLane>.allocate(capacity: count)
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: CBCCipher.laneWidth * 16, alignment: 16)
            defer {
                flat.deallocate()
                ivFlat.deallocate()
                lanes.deallocate()
                scratch.deallocate()
            }
            var offset = 0
            for i in 0..<count {
                buffers[i].withUnsafeBytes { (flat + offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                ivs[i].withUnsafeBytes { (ivFlat + 16 * i).copyMemory(from: $0.baseAddress!, byteCount: 16) }
                lanes[i] = CBCLane(data: flat + offset, length: buffers[i].count, iv: UnsafeRawPointer(ivFlat + 16 * i))
                offset += buffers[i].count + 3  // unaligned lanes, as packets in a train are
            }
            #expect(lanesCipher.encryptLanes(lanes, count: count, scratch: scratch))
            for i in 0..<count {
                let got = Array(UnsafeRawBufferPointer(start: lanes[i].data, count: lanes[i].length))
                #expect(got == expected[i], "\(name): lane \(i) of \(count), \(plains[i].count) bytes")
            }
        }
    }

    @Test func aLengthThatIsNotABlockMultipleIsRefused() throws {
        let cipher = try CBCCipher(name: "AES-256-CBC", key: [UInt8](repeating: 1, count: 32), operation: .encrypt)
        let data = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: CBCCipher.laneWidth * 16, alignment: 16)
        defer {
            data.deallocate()
            scratch.deallocate()
        }
        var lane = CBCLane(data: data, length: 20, iv: UnsafeRawPointer(data + 48))
        #expect(!cipher.encryptLanes(&lane, count: 1, scratch: scratch))
    }

    @Test func decryptContextsAndEightByteBlocksDoNotBatch() throws {
        let decrypt = try CBCCipher(name: "AES-256-CBC", key: [UInt8](repeating: 1, count: 32), operation: .decrypt)
        #expect(!decrypt.supportsLanes)
        try CryptoProviders.ensureAvailable(cipherName: "BF-CBC", needsLegacyProvider: true)
        let blowfish = try CBCCipher(name: "BF-CBC", key: [UInt8](repeating: 1, count: 16), operation: .encrypt)
        #expect(!blowfish.supportsLanes)
    }
}
