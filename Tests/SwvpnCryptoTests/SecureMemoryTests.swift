import SwvpnCrypto
import Testing

@Suite struct SecureMemoryTests {
    @Test func wipeZeroesTheBytesAndLeavesOtherCopiesAlone() {
        var key: [UInt8] = (1...64).map { UInt8($0) }
        let other = key  // shares the buffer until the wipe copies it
        SecureMemory.wipe(&key)
        #expect(key == [UInt8](repeating: 0, count: 64))
        #expect(other == (1...64).map { UInt8($0) })
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 16)
        defer { raw.deallocate() }
        raw.initializeMemory(as: UInt8.self, repeating: 0xAB)
        SecureMemory.wipe(raw.baseAddress!, count: 32)
        #expect(raw.allSatisfy { $0 == 0 })
    }
}
