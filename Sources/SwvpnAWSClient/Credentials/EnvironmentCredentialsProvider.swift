import Foundation
import SwvpnAWS

/// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and optionally AWS_SESSION_TOKEN, read at each call.
public struct EnvironmentCredentialsProvider: CredentialsProvider {
    let environment: @Sendable () -> [String: String]

    public init(environment: @escaping @Sendable () -> [String: String] = { ProcessInfo.processInfo.environment }) {
        self.environment = environment
    }

    public func credentials() async throws(AWSError) -> AWSCredentials {
        let env = environment()
        guard let key = env["AWS_ACCESS_KEY_ID"], !key.isEmpty, let secret = env["AWS_SECRET_ACCESS_KEY"],
            !secret.isEmpty
        else {
            throw AWSError(
                kind: .credentials, code: "NoEnvironmentCredentials",
                message: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set", action: "environment")
        }
        let token = env["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return AWSCredentials(accessKeyId: key, secretAccessKey: secret, sessionToken: token, source: "environment")
    }

    public func invalidate() async {}
}
