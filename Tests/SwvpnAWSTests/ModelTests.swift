import SwvpnAWS
import Testing

struct ModelTests {
    @Test func routeMatchesEitherTargetField() {
        // AWS fills both fields for an instance target; moto only the one that was written.
        let aws = EC2Route(
            destinationCidr: "10.2.0.0/16", instanceId: "i-1", networkInterfaceId: "eni-1", state: "active")
        let moto = EC2Route(destinationCidr: "10.2.0.0/16", networkInterfaceId: "eni-1", state: "active")
        #expect(aws.targets(.instance("i-1")) && aws.targets(.networkInterface("eni-1")))
        #expect(moto.targets(.networkInterface("eni-1")) && !moto.targets(.instance("i-1")))
        #expect(!aws.targets(.networkInterface("eni-2")))
    }

    @Test func retryableKinds() {
        let retryable = AWSError.Kind.allRetryable
        #expect(retryable == [.throttled, .server, .timeout])
    }
}

extension AWSError.Kind {
    static var allRetryable: [AWSError.Kind] {
        [.throttled, .server, .client, .transport, .timeout, .credentials, .malformedResponse]
            .filter { AWSError(kind: $0, code: "", message: "", action: "").isRetryable }
    }
}
