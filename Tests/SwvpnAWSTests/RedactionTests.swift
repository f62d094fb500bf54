import Testing

@testable import SwvpnAWS

/// Secrets never reach a log: every textual form of a type that holds them is redacted.
struct RedactionTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY"
    static let token = "IQoJb3JpZ2luSESSIONTOKEN"
    static let keyId = "AKIDSECRETKEYID"
    static let credentials = AWSCredentials(
        accessKeyId: keyId, secretAccessKey: secret, sessionToken: token,
        expiration: UTCTime(epochSeconds: 1_796_069_584), source: "instance role vpn-monitor")

    /// description, debugDescription, string interpolation and dump() of `value`.
    static func renderings(_ value: some Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return [String(describing: value), String(reflecting: value), "\(value)", dumped]
    }

    static func expectRedacted(_ value: some Any, extra: [String] = []) {
        for text in renderings(value) {
            for needle in [secret, token, keyId] + extra {
                #expect(!text.contains(needle), "\(type(of: value)) shows a secret: \(text)")
            }
        }
    }

    @Test func credentials() {
        Self.expectRedacted(Self.credentials)
        Self.expectRedacted([Self.credentials])
        #expect(String(describing: Self.credentials).contains("instance role vpn-monitor"))
    }

    @Test func signature() throws {
        let signed = try SigV4Signer(region: "us-east-1").sign(
            method: "POST", host: "ec2.us-east-1.amazonaws.com", headers: [], body: [],
            credentials: Self.credentials, at: UTCTime(epochSeconds: 0))
        Self.expectRedacted(signed, extra: [signed.signature])
        #expect(signed.authorization?.contains(signed.signature) == true)
    }

    @Test func expiry() {
        let c = Self.credentials
        let expiry = c.expiration!.epochSeconds
        #expect(c.expires(within: 600, at: UTCTime(epochSeconds: expiry - 599)))
        #expect(!c.expires(within: 600, at: UTCTime(epochSeconds: expiry - 601)))
        #expect(
            !AWSCredentials(accessKeyId: "a", secretAccessKey: "b", source: "environment")
                .expires(within: 600, at: UTCTime(epochSeconds: .max / 2)))
    }
}
