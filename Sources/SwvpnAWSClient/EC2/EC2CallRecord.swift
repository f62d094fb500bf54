import SwvpnAWS

/// What one EC2 API call did, for metrics and logs: the action, how it ended ("OK" or the error code),
/// how many HTTP attempts it took and how long it ran. No parameters, no credentials.
public struct EC2CallRecord: Sendable, Hashable {
    public var action: String
    public var outcome: String
    public var attempts: Int
    public var duration: Duration
    public var error: AWSError?
}
