/// What the executor learned about the name of the `remote` in use (`TunnelEvent.remoteResolution`).
/// `index` is the `remote` line; `host` is `name:port` as configured, for messages.
public enum RemoteResolution: Sendable, Hashable {
    /// `remote` line `index` is in use (set-up, or the next remote after a restart); the executor has
    /// `address` for it, or nil: it needs resolving.
    case inUse(index: Int, host: String, address: String?)
    /// The lookup asked for by `.resolveRemote(generation:)` found `address` (openvpn's notation).
    case resolved(generation: Int, index: Int, host: String, address: String)
    /// The lookup asked for by `.resolveRemote(generation:)` failed or timed out, and why.
    case failed(generation: Int, index: Int, host: String, reason: String)
}
