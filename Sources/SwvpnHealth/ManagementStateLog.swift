/// The management interface's state history, fed at each lifecycle step as it happens: openvpn
/// records every `management_set_state` call, several within one second too, so nothing here
/// compares snapshots (which would coalesce a restart and a reconnect in the same second away).
/// `record` returns the entries it appended; every client with `state on` gets each as `>STATE:`.
public struct ManagementStateLog: Sendable {
    public enum Event: Sendable, Equatable {
        /// Set-up done: CONNECTING, ASSIGN_IP (the tunnel address) and, with routes, ADD_ROUTES.
        case started(TunnelSnapshot, hasRoutes: Bool)
        /// Set up again after SIGHUP: ASSIGN_IP and ADD_ROUTES (openvpn says CONNECTING only once).
        case setUpAgain(TunnelSnapshot, hasRoutes: Bool)
        /// The peer is heard: CONNECTED,SUCCESS with the tunnel, remote and local addresses (openvpn's
        /// static-key mode counts its connection as established at the first authenticated packet).
        case connected(TunnelSnapshot)
        /// A restart (SIGUSR1, ping-restart, remote-exit, SIGHUP...): RECONNECTING,detail.
        case reconnecting(unixTime: Int64, detail: String)
        /// The process is about to exit: EXITING with what ended it (see `signalDetail`).
        case exiting(unixTime: Int64, signal: String)
    }

    public private(set) var history: BoundedHistory<ManagementStateEntry>

    public init(capacity: Int = 100) { history = BoundedHistory(capacity: capacity) }

    @discardableResult
    public mutating func record(_ event: Event) -> [ManagementStateEntry] {
        let entries: [ManagementStateEntry]
        switch event {
        case .started(let s, let hasRoutes):
            entries = [ManagementStateEntry(unixTime: s.unixTime, name: "CONNECTING")] + Self.setUp(s, hasRoutes)
        case .setUpAgain(let s, let hasRoutes):
            entries = Self.setUp(s, hasRoutes)
        case .connected(let s):
            let (rip, rport) = TunnelSnapshot.splitHostPort(s.peer)
            let (lip, lport) = TunnelSnapshot.splitHostPort(s.local)
            entries = [
                ManagementStateEntry(
                    unixTime: s.unixTime, name: "CONNECTED", detail: "SUCCESS", tunnelAddress: s.tunnelAddress ?? "",
                    remoteAddress: rip, remotePort: rport, localAddress: lip, localPort: lport)
            ]
        case .reconnecting(let time, let detail):
            entries = [ManagementStateEntry(unixTime: time, name: "RECONNECTING", detail: detail)]
        case .exiting(let time, let signal):
            entries = [ManagementStateEntry(unixTime: time, name: "EXITING", detail: Self.signalDetail(signal))]
        }
        for entry in entries { history.append(entry) }
        return entries
    }

    private static func setUp(_ s: TunnelSnapshot, _ hasRoutes: Bool) -> [ManagementStateEntry] {
        [ManagementStateEntry(unixTime: s.unixTime, name: "ASSIGN_IP", tunnelAddress: s.tunnelAddress ?? "")]
            + (hasRoutes ? [ManagementStateEntry(unixTime: s.unixTime, name: "ADD_ROUTES")] : [])
    }

    /// openvpn's detail for a signal: its text when it has one, else the signal's name.
    /// `SIGTERM[soft,ping-exit] received` → `ping-exit`; `SIGTERM[hard,] received` → `SIGTERM`.
    public static func signalDetail(_ line: String) -> String {
        let name = String(line.prefix { $0 != "[" && $0 != " " })
        guard let comma = line.firstIndex(of: ","), let close = line[comma...].firstIndex(of: "]") else { return name }
        let text = line[line.index(after: comma)..<close]
        return text.isEmpty ? name : String(text)
    }
}
