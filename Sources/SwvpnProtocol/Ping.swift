/// The keepalive ping (PROTOCOL.md §6): a data packet whose payload is exactly the 16-byte magic.
public enum Ping {
    public static let length = 16

    /// True when a decrypted, unframed payload is a ping; it must then be dropped, never written to tun.
    @inline(__always)
    public static func isPing(_ payload: UnsafeRawBufferPointer) -> Bool {
        guard payload.count == length else { return false }
        return WireFormat.pingMagic.withUnsafeBytes { magic in
            var diff: UInt8 = 0
            for i in 0..<length { diff |= payload[i] ^ magic[i] }
            return diff == 0
        }
    }

    public static func isPing(_ payload: [UInt8]) -> Bool {
        payload.withUnsafeBytes { isPing($0) }
    }

    /// Writes the magic at `offset` and returns the payload length (16). The buffer must have room.
    @inline(__always)
    @discardableResult
    public static func write(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        precondition(offset >= 0 && offset + length <= buffer.count, "ping does not fit")
        WireFormat.pingMagic.withUnsafeBytes { magic in
            UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + length]).copyMemory(from: magic)
        }
        return length
    }
}
