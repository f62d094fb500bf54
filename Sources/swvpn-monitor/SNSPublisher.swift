import Foundation
import Logging
import SwvpnAWS
import SwvpnAWSClient
import SwvpnMonitorCore

/// `notify-sns`: alerts and route moves published through SwvpnAWSClient's SNSClient (same credentials
/// and transport as EC2). A failed publish is logged: the journal line and notify-exec carry the event too.
struct SNSPublisher: Sendable {
    private let topicArn: String
    private let client: SNSClient
    private let logger: Logger

    init?(config: MonitorConfig, credentials: any CredentialsProvider, transport: any HTTPTransport, logger: Logger) {
        // The config parser checked the ARN's shape.
        guard let arn = config.notify.snsTopicArn, let region = SNSClient.region(ofTopic: arn) else { return nil }
        topicArn = arn
        client = SNSClient(
            region: region, endpoint: config.notify.snsEndpoint.flatMap { URL(string: $0) },
            credentials: credentials, transport: transport)
        self.logger = logger
    }

    func publish(_ report: MonitorReport) async {
        do {
            try await client.publish(
                topicArn: topicArn, subject: "swvpn-monitor \(report.kind.rawValue) \(report.subject)",
                message: "\(report)")
        } catch {
            logger.warning("notify-sns: Publish failed for \(report.kind.rawValue): \(error)")
        }
    }
}
