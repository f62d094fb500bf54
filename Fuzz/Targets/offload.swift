// Software TSO and GRO as the data plane drives them. Input: [virtio header (10 bytes), packet...].
// TSO: a GSO header cuts the packet with TCPSegmenter (the TUN read path), a NEEDS_CSUM header
// completes the checksum. GRO: the resulting segments, then pieces of the input itself, are
// offered to a TCPCoalescer (the TUN write path); a joined super-packet must cut back into the
// segments it was joined from.
import SwvpnProtocol

private let coalescer = TCPCoalescer()

private func offerAll(_ packets: [[UInt8]]) {
    var joined: [[UInt8]] = []
    func flush() {
        guard let out = coalescer.flush() else { return }
        check(out.count >= VirtioNetHeader.size && out.count <= TCPCoalescer.headroom + TCPCoalescer.capacity, "flush of \(out.count)")
        let header = VirtioNetHeader(reading: out.baseAddress!)
        let packet = Array(out[VirtioNetHeader.size...])
        if header.gsoTypeRaw != 0 {
            // Cut it again: as many segments as were joined, each identical in payload.
            let resegmented = resegment(packet, header: header)
            check(resegmented.count == joined.count, "rejoined \(joined.count), cut back into \(resegmented.count)")
            for (a, b) in zip(resegmented, joined) {
                let headerLength = Int(header.headerLength)
                check(a.count == b.count && a[headerLength...] == b[headerLength...], "payload changed by GRO")
            }
        } else {
            check(joined.count == 1 && packet == joined[0], "a single packet came back changed")
        }
        joined.removeAll()
    }
    for packet in packets {
        let taken = withExactCopy(packet.withUnsafeBytes { $0 }) { coalescer.offer(UnsafeRawBufferPointer($0)) }
        if taken {
            joined.append(packet)
            continue
        }
        flush()
        if withExactCopy(packet.withUnsafeBytes { $0 }, { coalescer.offer(UnsafeRawBufferPointer($0)) }) {
            joined.append(packet)
        }
    }
    flush()
}

private func resegment(_ packet: [UInt8], header: VirtioNetHeader) -> [[UInt8]] {
    withExactCopy(packet.withUnsafeBytes { $0 }) { raw -> [[UInt8]] in
        guard let plan = TCPSegmenter.plan(UnsafeRawBufferPointer(raw), mss: Int(header.gsoSize)) else { return [] }
        check(plan.count <= 65_536, "plan of \(plan.count) segments")
        return (0..<plan.count).map { i in
            let length = plan.segmentLength(i)
            check(length > 0 && length <= packet.count, "segment \(i) of \(length) bytes from \(packet.count)")
            let out = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 16)
            defer { out.deallocate() }
            let written = TCPSegmenter.writeSegment(i, of: raw.baseAddress!, plan: plan, to: out.baseAddress!)
            check(written == length, "wrote \(written) of \(length)")
            return Array(out)
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOffload(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    guard bytes.count >= VirtioNetHeader.size else { return 0 }
    let header = withExactCopy(UnsafeRawBufferPointer(rebasing: bytes[..<VirtioNetHeader.size])) {
        VirtioNetHeader(reading: $0.baseAddress!)
    }
    var packet = Array(bytes[VirtioNetHeader.size...])
    var segments: [[UInt8]] = []
    if header.gsoTypeRaw != 0 {
        segments = resegment(packet, header: header)
    } else {
        if header.flags & VirtioNetHeader.needsChecksum != 0 {
            withExactCopy(packet.withUnsafeBytes { $0 }) { copy in
                _ = TCPSegmenter.completeChecksum(copy, start: Int(header.checksumStart), offset: Int(header.checksumOffset))
                packet = Array(copy)
            }
        }
        segments = [packet]
    }
    offerAll(segments)
    // The input itself, cut at a few places, as unrelated packets arriving back to back.
    let cut = packet.count / 3
    offerAll(cut > 0 ? [Array(packet[..<cut]), Array(packet[cut...]), packet] : [packet])
    return 0
}
