import SwvpnAWS

/// Tries providers in order (e.g. the instance role through IMDS, then the environment) and keeps
/// using the first one that answered until it fails.
public actor CredentialChain: CredentialsProvider {
    private let providers: [any CredentialsProvider]
    private var preferred: Int?

    public init(_ providers: [any CredentialsProvider]) {
        self.providers = providers
    }

    public func credentials() async throws(AWSError) -> AWSCredentials {
        var order = Array(providers.indices)
        if let preferred {
            order.removeAll { $0 == preferred }
            order.insert(preferred, at: 0)
        }
        var failures: [String] = []
        for index in order {
            do {
                let c = try await providers[index].credentials()
                preferred = index
                return c
            } catch {
                failures.append("\(error.action): \(error.code): \(error.message)")
            }
        }
        throw AWSError(
            kind: .credentials, code: "NoCredentials",
            message: "no credentials: " + failures.joined(separator: "; "), action: "credentials")
    }

    public func invalidate() async {
        for p in providers { await p.invalidate() }
    }
}

extension CredentialChain: CustomStringConvertible, CustomReflectable {
    public nonisolated var description: String { "CredentialChain(\(providers.count) providers)" }
    public nonisolated var customMirror: Mirror { Mirror(self, children: ["providers": providers.count]) }
}
