import SwvpnControl
import Testing

/// `remote` names on a virtual clock: lookups asked for, retried, given up on and pinned
/// (TunnelSession+Resolve.swift). Nothing sleeps; every answer is fed with its time.
struct TunnelSessionResolveTests {
    typealias S = TunnelSession.Settings
    static let host = "vpn2.example.test:1194"

    /// A running session with one `remote` name that set-up could not resolve, and its first lookup.
    static func unresolved(_ configure: (inout S) -> Void = { _ in }, now: Int64 = 100)
        -> (TunnelSession, generation: Int)
    {
        var session = TunnelSessionTests.running(
            TunnelSessionTests.settings {
                $0.remoteCount = 1
                configure(&$0)
            }, now: now, peerKnown: false)
        let first = session.handle(.remoteResolution(.inUse(index: 0, host: host, address: nil), now: now))
        let lookup = Self.lookup(first)
        #expect(lookup?.afterSeconds == 0, "\(first)")
        return (session, lookup?.generation ?? -1)
    }

    static func lookup(_ actions: [TunnelAction]) -> (index: Int, generation: Int, afterSeconds: Int64)? {
        for case .resolveRemote(let index, let generation, let seconds) in actions {
            return (index, generation, seconds)
        }
        return nil
    }

    static func failed(_ generation: Int, at now: Int64, index: Int = 0) -> TunnelEvent {
        .remoteResolution(
            .failed(generation: generation, index: index, host: host, reason: "Name or service not known"), now: now)
    }

    static func resolved(_ generation: Int, _ address: String, at now: Int64, index: Int = 0) -> TunnelEvent {
        .remoteResolution(.resolved(generation: generation, index: index, host: host, address: address), now: now)
    }

    @Test func infiniteRetriesEveryConnectRetrySecondsLogsRarelyAndPinsWhenTheNameResolves() {
        let sessionStart = Self.unresolved()
        var session = sessionStart.0
        let generation = sessionStart.generation
        var logs: [String] = []
        for now in Int64(100)...170 {
            let actions = session.handle(Self.failed(generation, at: now))
            let lookup = Self.lookup(actions)
            #expect(lookup?.index == 0 && lookup?.generation == generation && lookup?.afterSeconds == 1, "\(actions)")
            #expect(!actions.contains { if case .fail = $0 { true } else { false } })
            logs += TunnelSessionTests.logs(actions)
        }
        #expect(
            logs == [
                "RESOLVE: Cannot resolve host address: \(Self.host) (Name or service not known); trying again every 1 s (resolv-retry infinite); until then no packet from the network is accepted",
                "RESOLVE: Cannot resolve host address: \(Self.host) (Name or service not known); still unresolved after 61 tries in 60 s, trying again every 1 s (resolv-retry infinite)",
            ], "one line at the first failure, then at most one a minute")
        let pinned = session.handle(Self.resolved(generation, "[AF_INET]10.77.0.2:1194", at: 171))
        #expect(TunnelSessionTests.withoutLogs(pinned) == [.pinRemote(index: 0)])
        #expect(
            TunnelSessionTests.logs(pinned) == [
                "RESOLVE: \(Self.host) resolved to [AF_INET]10.77.0.2:1194 after 71 s; only packets from it are accepted"
            ])
        #expect(session.handle(Self.failed(generation, at: 172)) == [], "a late answer of the same lookup")
        #expect(Self.lookup(session.handle(.tick(Tick(now: 200)))) == nil, "no lookups once pinned")
    }

    @Test func resolvRetrySecondsGivesUpWithAClearErrorAsOpenVPNDoes() {
        // openvpn: ceil(n / 5) tries, 5 s apart, then a fatal error.
        let sessionStart = Self.unresolved { $0.resolveRetrySeconds = 12 }
        var session = sessionStart.0
        let generation = sessionStart.generation
        #expect(Self.lookup(session.handle(Self.failed(generation, at: 100)))?.afterSeconds == 5)
        #expect(Self.lookup(session.handle(Self.failed(generation, at: 105)))?.afterSeconds == 5)
        let last = session.handle(Self.failed(generation, at: 110))
        #expect(
            last == [
                .fail(
                    "RESOLVE: Cannot resolve host address: \(Self.host) (Name or service not known); gave up after 3 tries in 10 s (resolv-retry 12)"
                )
            ])
        #expect(session.isExiting)
        #expect(session.handle(Self.resolved(generation, "[AF_INET]10.77.0.2:1194", at: 111)) == [])

        let onceStart = Self.unresolved { $0.resolveRetrySeconds = 0 }
        var once = onceStart.0
        let first = onceStart.generation
        let failure = once.handle(Self.failed(first, at: 100))
        #expect(failure.count == 1)
        guard case .fail(let text) = failure.first else {
            Issue.record("resolv-retry 0 did not fail: \(failure)")
            return
        }
        #expect(text.contains(Self.host) && text.contains("--resolv-retry"), "\(text)")
    }

    @Test func answersOfEarlierLookupsOrOtherRemotesChangeNothing() {
        let sessionStart = Self.unresolved()
        var session = sessionStart.0
        let generation = sessionStart.generation
        #expect(session.handle(Self.failed(generation - 1, at: 101)) == [])
        #expect(session.handle(Self.resolved(generation - 1, "[AF_INET]192.0.2.66:1194", at: 101)) == [])
        #expect(session.handle(Self.resolved(generation, "[AF_INET]192.0.2.66:1194", at: 101, index: 1)) == [])
        // A start (SIGHUP rebuild) begins a new resolution: the old lookup's answer is stale too.
        _ = session.handle(.started(now: 102, peerKnown: false))
        let again = session.handle(.remoteResolution(.inUse(index: 0, host: Self.host, address: nil), now: 102))
        #expect(Self.lookup(again)?.generation != generation)
        #expect(session.handle(Self.resolved(generation, "[AF_INET]192.0.2.66:1194", at: 103)) == [])
    }

    @Test func softRestartLooksTheNameUpAgainAndKeepsTheAddressWhenThatFails() {
        var session = TunnelSessionTests.running(TunnelSessionTests.settings { $0.remoteCount = 1 })
        #expect(
            session.handle(
                .remoteResolution(.inUse(index: 0, host: Self.host, address: "[AF_INET]10.0.0.2:1194"), now: 100))
                == [], "set-up had the address: no lookup")
        var restart = session.handle(.signal(.user1, now: 110, peerKnown: true))
        guard let refresh = Self.lookup(restart) else {
            Issue.record("no lookup after a soft restart: \(restart)")
            return
        }
        let kept = session.handle(Self.failed(refresh.generation, at: 111))
        #expect(TunnelSessionTests.withoutLogs(kept) == [], "no retry loop and no give-up while an address is in use")
        #expect(
            TunnelSessionTests.logs(kept) == [
                "RESOLVE: Cannot resolve host address: \(Self.host) (Name or service not known); keeping [AF_INET]10.0.0.2:1194"
            ])
        restart = session.handle(.signal(.user1, now: 120, peerKnown: true))
        guard let second = Self.lookup(restart) else {
            Issue.record("no lookup after the second restart: \(restart)")
            return
        }
        #expect(session.handle(Self.resolved(second.generation, "[AF_INET]10.0.0.2:1194", at: 121)) == [], "unchanged")
        restart = session.handle(.signal(.user1, now: 130, peerKnown: true))
        let moved = session.handle(
            Self.resolved(Self.lookup(restart)?.generation ?? -1, "[AF_INET]10.0.0.9:1194", at: 131))
        #expect(TunnelSessionTests.withoutLogs(moved) == [.pinRemote(index: 0)])
        #expect(
            TunnelSessionTests.logs(moved) == [
                "RESOLVE: \(Self.host) now resolves to [AF_INET]10.0.0.9:1194 (was [AF_INET]10.0.0.2:1194); only packets from it are accepted"
            ])

        var persistent = TunnelSessionTests.running(
            TunnelSessionTests.settings {
                $0.remoteCount = 1
                $0.persistRemoteIP = true
            })
        _ = persistent.handle(
            .remoteResolution(.inUse(index: 0, host: Self.host, address: "[AF_INET]10.0.0.2:1194"), now: 100))
        #expect(Self.lookup(persistent.handle(.signal(.user1, now: 110, peerKnown: true))) == nil, "persist-remote-ip")
    }

    @Test func pinningRetriesRoutesThatNeededTheAddressAndSaysWhatFloatAndTCPServerMean() {
        var session = TunnelSession(settings: TunnelSessionTests.settings { $0.remoteCount = 1 }, now: 0)
        _ = session.handle(.started(now: 0, peerKnown: false))
        _ = session.handle(.routesInstalled(complete: false))  // `route ... remote_host` without an address
        let generation = Self.lookup(
            session.handle(.remoteResolution(.inUse(index: 0, host: Self.host, address: nil), now: 0)))?.generation
        #expect(
            session.handle(Self.resolved(generation ?? -1, "[AF_INET]10.0.0.2:1194", at: 0)).contains(.installRoutes))

        let floatStart = Self.unresolved { $0.float = true }
        var float = floatStart.0
        let first = floatStart.generation
        #expect(
            TunnelSessionTests.logs(float.handle(Self.failed(first, at: 100))).first?.hasSuffix(
                "meanwhile any address may send authenticated packets (float)") == true)
        let serverStart = Self.unresolved { $0.transport = .tcpServer }
        var server = serverStart.0
        let serverFirst = serverStart.generation
        #expect(
            TunnelSessionTests.logs(server.handle(Self.failed(serverFirst, at: 100))).first?.hasSuffix(
                "until then no connection is accepted") == true)
        #expect(
            TunnelSessionTests.logs(server.handle(Self.resolved(serverFirst, "[AF_INET]10.0.0.2:1194", at: 101)))
                .first?.hasSuffix("only connections from it are accepted") == true)
    }
}
