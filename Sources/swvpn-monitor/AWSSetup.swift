import SwvpnAWS
import SwvpnMonitorCore

/// Region, own instance id and the EC2 client, from the config and instance metadata.
struct AWSSetup {
    var region: String
    var selfInstanceId: String?
    var ec2: any EC2API

    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    /// Placeholder until SwvpnAWS's client (HTTP transport, IMDSv2 credentials) is merged.
    static func make(_ config: MonitorConfig) async throws -> AWSSetup {
        throw Unavailable(description: "this build has no EC2 client yet (SwvpnAWS's HTTP client is not merged)")
    }
}
