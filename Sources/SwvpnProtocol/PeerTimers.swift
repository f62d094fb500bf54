/// Keepalive and OCC timers of one session (PROTOCOL.md §6, §7.2) as a pure state machine: the caller
/// reports events and polls with the current time (seconds) and performs the returned actions.

/// Timer configuration. `keepalive a b` in p2p mode is `ping a` + `pingRestart b` (the config
/// layer expands it).
public struct PeerTimerSettings: Sendable, Hashable {
    /// What to do when nothing authenticated arrived for a while.
    public enum Inactivity: Sendable, Hashable {
        /// Corresponds to OpenVPN `--ping-restart n`.
        case restart(seconds: Int64)
        /// Corresponds to OpenVPN `--ping-exit n`.
        case exit(seconds: Int64)
    }

    /// Corresponds to OpenVPN `--ping n`; nil = no pings (p2p default).
    public var ping: Int64?
    public var inactivity: Inactivity?
    /// Corresponds to OpenVPN `--ping-timer-rem`: run the inactivity timer only once the peer is known.
    public var inactivityNeedsPeer: Bool
    /// False with OpenVPN `--disable-occ` (stops requests; replies are still sent).
    public var occ: Bool

    public init(ping: Int64? = nil, inactivity: Inactivity? = nil, inactivityNeedsPeer: Bool = false, occ: Bool = true)
    {
        precondition((ping ?? 1) > 0)
        self.ping = ping
        self.inactivity = inactivity
        self.inactivityNeedsPeer = inactivityNeedsPeer
        self.occ = occ
    }
}

public enum PeerTimerReason: Sendable, Hashable {
    /// "Inactivity timeout (--ping-restart), restarting"
    case pingRestart
    /// "Inactivity timeout (--ping-exit), exiting"
    case pingExit
}

public enum PeerTimerTermination: Sendable, Hashable {
    /// Soft restart (SIGUSR1).
    case restart(reason: PeerTimerReason)
    /// Exit (SIGTERM).
    case exit(reason: PeerTimerReason)
}

public struct PeerTimerActions: Sendable, Hashable {
    public var sendPing = false
    public var sendOCCRequest = false
    /// When set, end the session; the other flags are then irrelevant.
    public var terminate: PeerTimerTermination?

    public init(sendPing: Bool = false, sendOCCRequest: Bool = false, terminate: PeerTimerTermination? = nil) {
        self.sendPing = sendPing
        self.sendOCCRequest = sendOCCRequest
        self.terminate = terminate
    }

    public static let none = PeerTimerActions()
}

/// One session's timers. A restart creates a new value. Not thread-safe.
public struct PeerTimers: Sendable {
    /// OCC_REQUEST every 10 s, first at +10 s.
    public static let occInterval: Int64 = 10
    /// openvpn gives up when its 12th timer tick comes without a reply: 11 requests at most.
    public static let occMaxRequests = 11

    public let settings: PeerTimerSettings
    private var peerKnown = false
    private var lastSent: Int64?
    private var lastReceived: Int64
    private var occNext: Int64?
    private var occTries = 0
    private var terminated = false

    public init(settings: PeerTimerSettings, now: Int64) {
        self.settings = settings
        lastReceived = now
        occNext = settings.occ ? now + Self.occInterval : nil
    }

    /// Any packet (data, ping, OCC) went to the peer.
    public mutating func packetSent(now: Int64) { lastSent = now }

    /// A packet passed HMAC/decrypt/replay checks (pings and OCC count too).
    public mutating func authenticatedPacketReceived(now: Int64) {
        lastReceived = now
        peerKnown = true
    }

    /// The peer's address became known (from `--remote`, or the first authenticated packet).
    public mutating func peerAddressKnown(now: Int64) {
        if settings.inactivityNeedsPeer && !peerKnown { lastReceived = now }
        peerKnown = true
    }

    public mutating func occReplyReceived() { occNext = nil }

    public var isPeerKnown: Bool { peerKnown }

    /// Actions due at `now`. Emitted ping/OCC sends are recorded, so polling twice does not repeat them.
    public mutating func poll(now: Int64) -> PeerTimerActions {
        guard !terminated else { return .none }
        var actions = PeerTimerActions()
        if let deadline = inactivityDeadline, now >= deadline, case .some(let inactivity) = settings.inactivity {
            terminated = true
            switch inactivity {
            case .restart: actions.terminate = .restart(reason: .pingRestart)
            case .exit: actions.terminate = .exit(reason: .pingExit)
            }
            return actions
        }
        if let next = occNext, now >= next {
            occTries += 1
            if occTries > Self.occMaxRequests {
                occNext = nil
            } else {
                occNext = now + Self.occInterval
                // Without a peer the request is built and discarded, but the try still counts.
                if peerKnown {
                    actions.sendOCCRequest = true
                    lastSent = now
                }
            }
        }
        if let deadline = pingDeadline, now >= deadline {
            actions.sendPing = true
            lastSent = now
        }
        return actions
    }

    /// Earliest time `poll` has something to do; nil when no timer runs.
    public var nextDeadline: Int64? {
        guard !terminated else { return nil }
        return [inactivityDeadline, occNext, pingDeadline].compactMap { $0 }.min()
    }

    private var pingDeadline: Int64? {
        guard let interval = settings.ping, peerKnown else { return nil }
        guard let lastSent else { return Int64.min }  // timer starts expired: ping at once
        return lastSent + interval
    }

    private var inactivityDeadline: Int64? {
        guard let inactivity = settings.inactivity else { return nil }
        if settings.inactivityNeedsPeer && !peerKnown { return nil }
        switch inactivity {
        case .restart(let n), .exit(let n): return lastReceived + n
        }
    }
}
