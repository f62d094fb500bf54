import SwvpnCrypto

/// Turns framed payloads into static-key wire packets, in place (PROTOCOL.md §3.1–3.2):
/// `HMAC ‖ IV ‖ CBC(packet-id ‖ time ‖ payload ‖ PKCS#7)`.
///
/// One per transmit queue: it owns the packet-id counter and the encrypt context. Not thread-safe
/// (`@unchecked Sendable` only so it can be handed to the queue that owns it). Sealing allocates
/// nothing, on any thread: IVs come from a pool refilled in bulk from the sealer's own DRBG
/// (`OwnedDRBG`), not from `RAND_bytes`, whose per-thread state OpenSSL builds on each new thread.
public final class DataChannelSealer: @unchecked Sendable {
    public let layout: FrameLayout
    /// Packet-id state; settable so a test can resume a captured session.
    public var packetID = PacketIDSender()

    private let cipher: CBCCipher?
    private let hmac: HMACContext?
    /// The IV source (nil for `cipher none`); reseeded by the owner with `reseedIVSource()`.
    private let ivSource: OwnedDRBG?
    private let ivPool: UnsafeMutableRawPointer
    private let ivPoolBytes: Int
    private var ivPoolUsed: Int

    /// IVs drawn per refill.
    static let ivPoolCount = 64

    // Batched encryption (`beginBatch` ... `completeBatch`): packets sealed in between are framed,
    // padded and given their IV at once, and encrypted and authenticated together at the end.
    private let lanes: UnsafeMutablePointer<CBCLane>
    private let macs: UnsafeMutablePointer<PendingMAC>
    private let laneScratch: UnsafeMutableRawPointer
    private var pending = 0
    private var batching = false
    private var batchFailed = false
    /// Packets held per batch before they are encrypted (more are flushed as they come).
    public static let batchCapacity = 64

    /// Sends with `direction.sendSlot` of `key`.
    public init(key: StaticKey, direction: KeyDirection, layout: FrameLayout) throws(CryptoError) {
        self.layout = layout
        cipher = try DataChannelKeys.cipher(layout.cipher, key: key, slot: direction.sendSlot, operation: .encrypt)
        hmac = try DataChannelKeys.hmac(layout.digest, key: key, slot: direction.sendSlot)
        ivSource = cipher == nil ? nil : try OwnedDRBG(personalization: "swvpnd data-channel IV")
        ivPoolBytes = max(layout.cipher.ivLength * Self.ivPoolCount, 1)
        ivPool = UnsafeMutableRawPointer.allocate(byteCount: ivPoolBytes, alignment: 16)
        ivPoolUsed = ivPoolBytes  // empty: filled on first use
        lanes = .allocate(capacity: Self.batchCapacity)
        macs = .allocate(capacity: Self.batchCapacity)
        laneScratch = .allocate(byteCount: CBCCipher.laneWidth * 16, alignment: 16)
    }

    deinit {
        // IVs are not secret, but there is no reason to leave them lying around either.
        ivPool.initializeMemory(as: UInt8.self, repeating: 0, count: ivPoolBytes)
        ivPool.deallocate()
        laneScratch.initializeMemory(as: UInt8.self, repeating: 0, count: CBCCipher.laneWidth * 16)
        laneScratch.deallocate()
        lanes.deallocate()
        macs.deallocate()
    }

    /// Starts a batch: until `completeBatch()`, `seal` returns each packet's final place and length
    /// but leaves it unencrypted and unauthenticated; `completeBatch()` encrypts the batch several
    /// packets at a time (`CBCCipher.encryptLanes`) and then authenticates each. The caller must not
    /// send anything sealed in a batch before `completeBatch()` returned true. False (and no batch)
    /// when the cipher cannot batch (`cipher none`, 8-byte block ciphers): `seal` works as always.
    @discardableResult
    public func beginBatch() -> Bool {
        guard let cipher, cipher.supportsLanes else { return false }
        batching = true
        batchFailed = false
        return true
    }

    /// Finishes the batch. False when libcrypto failed for any packet of it: then none of the batch's
    /// packets may be sent (never expected; counted by the caller as seal failures).
    public func completeBatch() -> Bool {
        guard batching else { return true }
        batching = false
        let ok = flushBatch() && !batchFailed
        batchFailed = false
        return ok
    }

    private func flushBatch() -> Bool {
        defer { pending = 0 }
        guard pending > 0 else { return true }
        guard let cipher, cipher.encryptLanes(lanes, count: pending, scratch: laneScratch) else { return false }
        guard let hmac else { return true }
        for i in 0..<pending {
            let mac = macs[i]
            guard hmac.authenticate(mac.body, count: mac.count, into: mac.tag) else { return false }
        }
        return true
    }

    /// Mixes fresh operating-system entropy into the IV source. Call it on the sealer's queue, off
    /// the packet path (it may allocate inside OpenSSL); false if OpenSSL refused.
    @discardableResult
    public func reseedIVSource() -> Bool { ivSource?.reseed() ?? true }

    /// Restart: the next packet gets id 1 and a session time newer than the previous one.
    public func resetSession() {
        packetID = PacketIDSender(after: packetID.time)
    }

    /// Seals with a fresh random IV. See `seal(_:payloadOffset:payloadLength:capacity:now:iv:)`.
    public func seal(
        _ buffer: UnsafeMutableRawPointer, payloadOffset: Int, payloadLength: Int, capacity: Int, now: UInt32
    ) -> SealResult {
        sealWithFreshIV(
            buffer, payloadOffset: payloadOffset, payloadLength: payloadLength, capacity: capacity,
            packetID: .next(now: now))
    }

    /// Takes the next packet-id for a packet another sealer seals (`seal(...packetID:)`): the owner
    /// hands out ids in send order on its queue, helper sealers on other threads encrypt with them.
    /// Nil on roll-over without clock progress (the packet must be dropped). (0, 0) without replay
    /// protection, where no id goes on the wire.
    @inline(__always)
    public func takePacketID(now: UInt32) -> (id: UInt32, time: UInt32)? {
        guard layout.replayProtection else { return (0, 0) }
        return packetID.next(now: now)
    }

    /// Seals with an id the owning sealer took (`takePacketID`), with this sealer's own cipher, HMAC
    /// and IV source: a helper sealer on a crypto worker thread (same key, same direction). Its own
    /// packet-id counter is not used.
    @inline(__always)
    public func seal(
        _ buffer: UnsafeMutableRawPointer, payloadOffset: Int, payloadLength: Int, capacity: Int,
        packetID: (id: UInt32, time: UInt32)
    ) -> SealResult {
        sealWithFreshIV(
            buffer, payloadOffset: payloadOffset, payloadLength: payloadLength, capacity: capacity,
            packetID: .assigned(packetID.id, packetID.time))
    }

    /// Where a packet's id comes from: this sealer's counter, or the owner's (`takePacketID`).
    enum IDSource {
        case next(now: UInt32)
        case assigned(UInt32, UInt32)
    }

    @inline(__always)
    private func sealWithFreshIV(
        _ buffer: UnsafeMutableRawPointer, payloadOffset: Int, payloadLength: Int, capacity: Int, packetID: IDSource
    ) -> SealResult {
        guard let cipher, let ivSource else {
            return sealCore(
                buffer, payloadOffset: payloadOffset, payloadLength: payloadLength, capacity: capacity,
                packetID: packetID, iv: nil)
        }
        let ivLength = cipher.ivLength
        if ivPoolUsed + ivLength > ivPoolBytes {
            guard ivSource.fill(ivPool, count: ivPoolBytes) else { return .dropped(.randomFailure) }
            ivPoolUsed = 0
        }
        let iv = UnsafeRawPointer(ivPool + ivPoolUsed)
        let result = sealCore(
            buffer, payloadOffset: payloadOffset, payloadLength: payloadLength, capacity: capacity,
            packetID: packetID, iv: iv)
        if case .sealed = result { ivPoolUsed += ivLength }  // never reuse an IV that went on the wire
        return result
    }

    /// Seals the payload at `buffer[payloadOffset ..< payloadOffset + payloadLength]` in place.
    ///
    /// Requires `payloadOffset >= layout.cryptoHeadroom` and
    /// `capacity >= payloadOffset + payloadLength + layout.tailroom`. The wire packet starts at
    /// `payloadOffset - layout.cryptoHeadroom`. `now` is Unix seconds; the first call of a session
    /// fixes the session time. `iv` (`layout.cipher.ivLength` bytes, ignored for `cipher none`) is
    /// supplied by the caller: tests use it to re-encode captured packets byte for byte.
    public func seal(
        _ buffer: UnsafeMutableRawPointer, payloadOffset: Int, payloadLength: Int, capacity: Int, now: UInt32,
        iv: UnsafeRawPointer
    ) -> SealResult {
        sealCore(
            buffer, payloadOffset: payloadOffset, payloadLength: payloadLength, capacity: capacity,
            packetID: .next(now: now), iv: iv)
    }

    @inline(__always)
    private func sealCore(
        _ buffer: UnsafeMutableRawPointer, payloadOffset: Int, payloadLength: Int, capacity: Int,
        packetID source: IDSource, iv: UnsafeRawPointer?
    ) -> SealResult {
        let start = payloadOffset - layout.cryptoHeadroom
        guard start >= 0, payloadLength >= 0, payloadLength <= capacity,
            payloadOffset <= capacity - payloadLength - layout.tailroom
        else { return .dropped(.noRoom) }

        // Plaintext to encrypt: [packet-id ‖ time] ‖ payload.
        var plainStart = payloadOffset
        if layout.replayProtection {
            let next: (id: UInt32, time: UInt32)
            switch source {
            case .next(let now):
                guard let taken = packetID.next(now: now) else { return .dropped(.packetIDRollOver) }
                next = taken
            case .assigned(let id, let time): next = (id, time)
            }
            plainStart -= WireFormat.packetIDLength
            storeBigEndian(next.id, at: buffer + plainStart)
            storeBigEndian(next.time, at: buffer + plainStart + 4)
        }
        var bodyStart = plainStart
        var bodyLength = payloadOffset + payloadLength - plainStart
        if batching, let cipher, let iv {
            return sealLater(
                buffer, start: start, plainStart: plainStart, plainLength: bodyLength, cipher: cipher, iv: iv)
        }
        if let cipher, let iv {
            guard let encrypted = cipher.encrypt(buffer + plainStart, length: bodyLength, iv: iv) else {
                return .dropped(.cryptoFailure)
            }
            bodyStart -= cipher.ivLength
            (buffer + bodyStart).copyMemory(from: iv, byteCount: cipher.ivLength)
            bodyLength = cipher.ivLength + encrypted
        }
        if let hmac {
            // HMAC covers everything after itself: IV ‖ ciphertext (or id ‖ time ‖ payload).
            guard hmac.authenticate(buffer + bodyStart, count: bodyLength, into: buffer + start) else {
                return .dropped(.cryptoFailure)
            }
            bodyLength += hmac.length
        }
        return .sealed(start: start, length: bodyLength)
    }

    /// `sealCore` inside a batch: padding and IV now, encryption and HMAC in `completeBatch()`.
    @inline(__always)
    private func sealLater(
        _ buffer: UnsafeMutableRawPointer, start: Int, plainStart: Int, plainLength: Int, cipher: CBCCipher,
        iv: UnsafeRawPointer
    ) -> SealResult {
        if pending == Self.batchCapacity, !flushBatch() { batchFailed = true }
        // PKCS#7, as EVP pads: 1...blockSize bytes, each the pad length (room checked by `sealCore`).
        let pad = cipher.blockSize - plainLength % cipher.blockSize
        (buffer + plainStart + plainLength).initializeMemory(as: UInt8.self, repeating: UInt8(pad), count: pad)
        let ivStart = plainStart - cipher.ivLength
        (buffer + ivStart).copyMemory(from: iv, byteCount: cipher.ivLength)
        let padded = plainLength + pad
        lanes[pending] = CBCLane(data: buffer + plainStart, length: padded, iv: UnsafeRawPointer(buffer + ivStart))
        macs[pending] = PendingMAC(body: buffer + ivStart, count: cipher.ivLength + padded, tag: buffer + start)
        pending += 1
        return .sealed(start: start, length: (hmac?.length ?? 0) + cipher.ivLength + padded)
    }
}

/// What `completeBatch()` authenticates: HMAC over `body[0..<count]` written to `tag`.
private struct PendingMAC {
    var body: UnsafeMutableRawPointer
    var count: Int
    var tag: UnsafeMutableRawPointer
}
