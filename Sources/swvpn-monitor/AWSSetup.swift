import Foundation
import SwvpnAWS
import SwvpnAWSClient
import SwvpnMonitorCore

/// Region, own instance id and the EC2 client, from the config and instance metadata (IMDSv2).
struct AWSSetup {
    var region: String
    var selfInstanceId: String?
    var ec2: any EC2API
    var credentials: any CredentialsProvider
    var transport: any HTTPTransport

    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    static func make(_ config: MonitorConfig) async throws -> AWSSetup {
        let transport = URLSessionTransport()
        let imds = IMDSClient(
            endpoint: config.imdsEndpoint.flatMap { URL(string: $0) } ?? IMDSClient.defaultEndpoint,
            transport: transport)
        let region: String
        if let configured = config.region {
            region = configured
        } else {
            do {
                region = try await imds.region()
            } catch {
                throw Unavailable(description: "no region line and instance metadata did not answer (\(error))")
            }
        }
        // Which instance must never be restarted; off EC2 (tests) there is none.
        let selfInstanceId = try? await imds.instanceId()
        // The instance role first, environment variables as a fallback.
        let credentials = CredentialChain([IMDSCredentialsProvider(imds: imds), EnvironmentCredentialsProvider()])
        let client = EC2Client(
            configuration: .init(region: region, endpoint: config.ec2Endpoint.flatMap { URL(string: $0) }),
            credentials: credentials, transport: transport)
        return AWSSetup(
            region: region, selfInstanceId: selfInstanceId, ec2: client, credentials: credentials, transport: transport)
    }
}
