import Foundation
import Logging
import SwvpnAWS
import SwvpnAWSClient
import SwvpnMonitorCore

/// `notify-sns`: SNS Publish (Query API, SigV4 for service `sns`) of alerts and route moves, one at a
/// time through the same credentials and transport as EC2. A failed publish is logged, not retried:
/// the journal line and notify-exec already carry the event.
actor SNSPublisher {
    private let topicArn: String
    private let endpoint: URL
    private let signer: SigV4Signer
    private let credentials: any CredentialsProvider
    private let transport: any HTTPTransport
    private let logger: Logger

    init?(config: MonitorConfig, credentials: any CredentialsProvider, transport: any HTTPTransport, logger: Logger) {
        guard let arn = config.notify.snsTopicArn else { return nil }
        let region = String(arn.split(separator: ":", omittingEmptySubsequences: false)[3])
        topicArn = arn
        endpoint = config.notify.snsEndpoint.flatMap { URL(string: $0) } ?? URL(string: "https://sns.\(region).amazonaws.com/")!
        signer = SigV4Signer(service: "sns", region: region)
        self.credentials = credentials
        self.transport = transport
        self.logger = logger
    }

    func publish(_ report: MonitorReport) async {
        let body = Array(QueryForm.encode([
            ("Action", "Publish"), ("Version", "2010-03-31"), ("TopicArn", topicArn),
            ("Subject", String("swvpn-monitor \(report.kind.rawValue) \(report.subject)".prefix(100))),
            ("Message", "\(report)"),
        ]).utf8)
        do {
            let creds = try await credentials.credentials()
            let host = endpoint.host.map { h in endpoint.port.map { "\(h):\($0)" } ?? h } ?? ""
            let contentType = [(name: "Content-Type", value: QueryForm.contentType)]
            let signed = try signer.sign(method: "POST", host: host, headers: contentType, body: body, credentials: creds, at: SystemClock.now())
            let response = try await transport.send(HTTPRequest(method: "POST", url: endpoint, headers: contentType + signed.headers,
                                                                body: Data(body), timeout: .seconds(5)))
            if response.status != 200 {
                logger.warning("notify-sns: Publish answered HTTP \(response.status) for \(report.kind.rawValue)")
            }
        } catch {
            logger.warning("notify-sns: Publish failed for \(report.kind.rawValue): \(error)")
        }
    }
}
