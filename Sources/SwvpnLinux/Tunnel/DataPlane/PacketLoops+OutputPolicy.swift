import Glibc
import SwvpnProtocol
import Synchronization

// The TX loop's hooks for `passtos` and `shaper` (OutputPolicy.swift). Only called when the tunnel has
// one of them; nothing here allocates.
extension PacketLoops {
    /// Before packet `i` of the TX batch is sealed: with passtos, a new TOS ends the run (sent with the
    /// old TOS) and goes on the socket; with shaper, the run is sent and the loop waits for the rate.
    /// Returns where the run now starts.
    @inline(never)
    func applyOutputPolicy(packetAt i: Int, runStart: Int, peer: SocketAddress, linkBytes: inout UInt64) -> Int {
        var start = runStart
        if outputPolicy!.passTOS {
            let length = txBatch.length(at: i) - (offload.tunVirtioHeader ? VirtioNetHeader.size : 0)
            let packet = UnsafeRawBufferPointer(
                start: txBatch.slotBase(i) + settings.payloadOffset, count: max(length, 0))
            if let tos = TypeOfService.ipv4(packet, ethernet: outputPolicy!.ethernet), tos != outputPolicy!.socketTOS {
                linkBytes += flush(txBatch, from: start, to: i, peer: peer)
                start = i
                link.setTypeOfService(tos)
                outputPolicy!.socketTOS = tos
            }
        }
        if outputPolicy!.shaper != nil {
            // One packet per send, so every packet is charged before the next one is let through.
            linkBytes += flush(txBatch, from: start, to: i, peer: peer)
            start = i
            waitForShaper()
        }
        return start
    }

    /// Charges a send of `packets` packets, `bytes` on the wire, to the shaper (called from `flush`).
    @inline(never)
    func chargeShaper(bytes: UInt64, packets: Int) {
        guard outputPolicy!.shaper != nil else { return }
        let wire = Int(bytes) + packets * outputPolicy!.datagramOverhead
        outputPolicy!.shaper!.charge(wireBytes: wire, now: Clock.monotonicNanoseconds())
    }

    /// Sleeps on the TX queue until the shaper lets the next packet go, as openvpn stops reading the
    /// TUN device meanwhile (the kernel queues or drops what the device gets). In slices of at most
    /// 100 ms, so `stop()` never waits long.
    private func waitForShaper() {
        while linkActive.load(ordering: .relaxed) {
            let wait = outputPolicy!.shaper!.delay(now: Clock.monotonicNanoseconds())
            if wait <= 0 { return }
            var slice = timespec(tv_sec: 0, tv_nsec: Int(min(wait, 100_000_000)))
            nanosleep(&slice, nil)
        }
    }
}
