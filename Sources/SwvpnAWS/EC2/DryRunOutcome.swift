/// What a `DryRun=true` request said about the caller's permission.
public enum DryRunOutcome: Sendable, Hashable {
    /// `DryRunOperation`: the request would have succeeded.
    case allowed
    /// `UnauthorizedOperation`: the caller's policy does not allow it (EC2's message, which may carry an
    /// encoded authorization message, but never our credentials).
    case denied(message: String)
    /// The endpoint carried the request out instead of checking it (moto ignores DryRun on routes); the
    /// monitor only dry-runs requests that change nothing if that happens.
    case performed
    /// No verdict: unreachable, throttled, or refused for another reason (e.g. `RouteAlreadyExists` from an
    /// endpoint that validated the request instead of only checking the permission).
    case undecided(AWSError)

    public init(_ result: Result<Void, AWSError>) {
        switch result {
        case .success: self = .performed
        case .failure(let error) where error.code == "DryRunOperation": self = .allowed
        case .failure(let error) where error.code == "UnauthorizedOperation": self = .denied(message: error.message)
        case .failure(let error): self = .undecided(error)
        }
    }
}
