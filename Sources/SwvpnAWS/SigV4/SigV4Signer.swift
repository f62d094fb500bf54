import SwvpnCrypto

/// AWS Signature Version 4 for a request without a query string (the EC2 Query API posts its form
/// in the body). Pure: the time comes in, the headers to add come out.
///
/// canonical request = method, path, "" (query), canonical headers, signed header names, hex SHA-256
/// of the body; string to sign = "AWS4-HMAC-SHA256", X-Amz-Date, scope, hex SHA-256 of the canonical
/// request; key = HMAC chain over "AWS4"+secret, date, region, service, "aws4_request".
public struct SigV4Signer: Sendable, Hashable {
    public let service: String
    public let region: String

    public init(service: String = "ec2", region: String) {
        self.service = service
        self.region = region
    }

    /// Signs `body` sent as `method host path` with `headers` (Content-Type...). `host` is the Host
    /// header as sent, with the port when it is not the scheme's default.
    public func sign(
        method: String, host: String, path: String = "/", headers: [(name: String, value: String)],
        body: [UInt8], credentials: AWSCredentials, at time: UTCTime
    ) throws(CryptoError) -> SigV4Signature {
        let amzDate = time.amzDate
        var added: [(name: String, value: String)] = [("X-Amz-Date", amzDate)]
        if let token = credentials.sessionToken { added.append(("X-Amz-Security-Token", token)) }

        var canonical: [String: String] = [:]
        for (name, value) in headers + [("Host", host)] + added {
            let key = name.lowercased()
            let trimmed = Self.trimAndCollapse(value)
            canonical[key] = canonical[key].map { $0 + "," + trimmed } ?? trimmed
        }
        let names = canonical.keys.sorted()
        let signedHeaders = names.joined(separator: ";")
        let headerBlock = names.map { "\($0):\(canonical[$0]!)\n" }.joined()
        let canonicalRequest = [method, path, "", headerBlock, signedHeaders, Hex.lower(try SHA256Digest.hash(body))]
            .joined(separator: "\n")

        let scope = "\(time.dateStamp)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", amzDate, scope,
            Hex.lower(try SHA256Digest.hash(Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")

        var key = try SHA256Digest.hmac(
            key: Array("AWS4\(credentials.secretAccessKey)".utf8), data: Array(time.dateStamp.utf8))
        for part in [region, service, "aws4_request"] { key = try SHA256Digest.hmac(key: key, data: Array(part.utf8)) }
        let signature = Hex.lower(try SHA256Digest.hmac(key: key, data: Array(stringToSign.utf8)))

        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return SigV4Signature(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature,
            headers: added + [("Authorization", authorization)])
    }

    /// Leading/trailing spaces removed, inner runs of spaces collapsed to one (SigV4's header rule).
    static func trimAndCollapse(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
