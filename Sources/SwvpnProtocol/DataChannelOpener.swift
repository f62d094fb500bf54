import SwvpnCrypto

/// Authenticates, decrypts and replay-checks static-key wire packets in place (PROTOCOL.md §3, §4).
///
/// Order: HMAC (constant-time compare) → decrypt → unpad → packet-id/time → replay check, so the
/// replay window only ever sees authenticated packets. One per receive queue: it owns the replay
/// window and the decrypt context. Not thread-safe (`@unchecked Sendable` only for hand-over).
/// Opening allocates nothing.
public final class DataChannelOpener: @unchecked Sendable {
    public let layout: FrameLayout
    private let cipher: CBCCipher?
    private let hmac: HMACContext?
    /// nil: ids are read but not checked.
    private var replay: ReplayWindow?
    private let replayParameters: ReplayWindow.Parameters?
    private let computedMAC: UnsafeMutableRawPointer

    /// Receives with `direction.receiveSlot` of `key`. `replay` nil turns replay checking off
    /// (ids are still parsed when the layout has them); it is ignored for `--no-replay` layouts.
    public init(
        key: StaticKey, direction: KeyDirection, layout: FrameLayout, replay: ReplayWindow.Parameters?
    ) throws(CryptoError) {
        self.layout = layout
        cipher = try DataChannelKeys.cipher(layout.cipher, key: key, slot: direction.receiveSlot, operation: .decrypt)
        hmac = try DataChannelKeys.hmac(layout.digest, key: key, slot: direction.receiveSlot)
        replayParameters = layout.replayProtection ? replay : nil
        self.replay = replayParameters.map { ReplayWindow(parameters: $0) }
        computedMAC = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
    }

    deinit {
        computedMAC.deallocate()
    }

    /// Fresh replay window (tunnel restart).
    public func resetSession() {
        replay?.reset()
    }

    /// Pre-sets the replay high-water mark (`--replay-persist`).
    public func presetReplay(time: UInt32, id: UInt32) {
        replay?.preset(time: time, id: id)
    }

    /// (T, H) of the replay window; (0, 0) without one.
    public var replayHighWater: (time: UInt32, id: UInt32) {
        replay?.highWater ?? (0, 0)
    }

    /// Opens the wire packet `buffer[0 ..< length]` in place. `now` is local seconds on any
    /// monotonic clock (only the replay time window uses it).
    public func open(_ buffer: UnsafeMutableRawPointer, length: Int, now: Int64) -> OpenResult {
        accept(authenticate(buffer, length: length), now: now)
    }

    /// The replay check of `open`, for a packet `authenticate` (of this or a helper opener) let
    /// through: on the owner's queue, in arrival order, so the window sees exactly what a serial
    /// `open` would.
    @inline(__always)
    public func accept(_ authenticated: OpenResult, now: Int64) -> OpenResult {
        guard case .payload(_, _, let id, let time) = authenticated, layout.replayProtection, replay != nil else {
            return authenticated
        }
        return replay!.checkAndAccept(id: id, time: time, now: now) ? authenticated : .dropped(.replayed)
    }

    /// `open` without the replay check: HMAC, decryption and the packet-id read. Touches no state but
    /// this opener's contexts, so a helper opener (same key and direction) may run it on a crypto
    /// worker thread; the owner then calls `accept` in order.
    public func authenticate(_ buffer: UnsafeMutableRawPointer, length: Int) -> OpenResult {
        guard length > 0 else { return .dropped(.empty) }
        var offset = 0
        if let hmac {
            let macLength = hmac.length
            guard length >= macLength else { return .dropped(.tooShort) }
            guard hmac.authenticate(buffer + macLength, count: length - macLength, into: computedMAC) else {
                return .dropped(.cryptoFailure)
            }
            guard constantTimeEquals(computedMAC, buffer, count: macLength) else { return .dropped(.badHMAC) }
            offset = macLength
        }
        var end = length
        if let cipher {
            let ivLength = cipher.ivLength
            guard length - offset >= ivLength else { return .dropped(.missingIV) }
            let iv = UnsafeRawPointer(buffer + offset)
            offset += ivLength
            guard length > offset else { return .dropped(.missingPayload) }
            guard let plain = cipher.decrypt(buffer + offset, length: length - offset, iv: iv) else {
                return .dropped(.badPadding)
            }
            end = offset + plain
        }
        var id: UInt32 = 0
        var time: UInt32 = 0
        if layout.replayProtection {
            guard end - offset >= WireFormat.packetIDLength else { return .dropped(.shortPacketID) }
            id = loadBigEndian(buffer + offset)
            time = loadBigEndian(buffer + offset + 4)
            offset += WireFormat.packetIDLength
        }
        return .payload(offset: offset, length: end - offset, packetID: id, time: time)
    }
}
