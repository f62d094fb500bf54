import Foundation
import Testing

@testable import SwvpnAWS

/// One case from sigv4_vectors.py: botocore's serialized parameters, body and signature at a frozen time.
struct SigV4Vector: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let action: String
    let service: String
    let input: [String: JSONValue]?
    let params: [[String]]
    let body: String
    let region: String
    let host: String
    let epoch: Int64
    let accessKeyId: String
    let secretAccessKey: String
    let sessionToken: String?
    let amzDate: String
    let canonicalRequest: String
    let stringToSign: String
    let authorization: String
    var testDescription: String { name }
}

/// Just enough JSON to read the botocore inputs back.
enum JSONValue: Decodable, Sendable {
    case string(String)
    case bool(Bool)
    case list([String])
    /// A structure of booleans (`SourceDestCheck: {"Value": false}`).
    case flags([String: Bool])
    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let l = try? c.decode([String].self) {
            self = .list(l)
        } else {
            self = .flags(try c.decode([String: Bool].self))
        }
    }
    var string: String? { if case .string(let s) = self { s } else { nil } }
    var list: [String]? { if case .list(let l) = self { l } else { nil } }
    var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    var flags: [String: Bool]? { if case .flags(let f) = self { f } else { nil } }
}

enum SigV4Vectors {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("sigv4_vectors.py").path

    /// Runs the generator (botocore must be installed: scripts/test.sh does it). A missing botocore fails.
    static func load() throws -> [SigV4Vector] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script]
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw VectorError(
                "\(script) failed (exit \(p.terminationStatus)); needs python3 with botocore "
                    + "(`pip install botocore`, scripts/test.sh installs it):\n\(errText)")
        }
        struct File: Decodable { let cases: [SigV4Vector] }
        return try JSONDecoder().decode(File.self, from: data).cases
    }

    /// The Swift request builder for the same action and input botocore serialized (`DryRun` included).
    static func query(for v: SigV4Vector) -> EC2Query? {
        guard let input = v.input else { return nil }
        let query = baseQuery(v.action, input)
        return input["DryRun"]?.bool == true ? query?.dryRun : query
    }

    private static func baseQuery(_ action: String, _ input: [String: JSONValue]) -> EC2Query? {
        let cidr = input["DestinationCidrBlock"]?.string ?? ""
        let table = input["RouteTableId"]?.string ?? ""
        let target: RouteTarget =
            input["InstanceId"]?.string.map { .instance($0) }
            ?? .networkInterface(input["NetworkInterfaceId"]?.string ?? "")
        let ids = input["InstanceIds"]?.list ?? []
        switch action {
        case "DescribeRouteTables": return .describeRouteTables(ids: input["RouteTableIds"]?.list ?? [])
        case "ReplaceRoute": return .replaceRoute(tableId: table, destinationCidr: cidr, target: target)
        case "CreateRoute": return .createRoute(tableId: table, destinationCidr: cidr, target: target)
        case "DescribeInstanceStatus": return .describeInstanceStatus(ids: ids)
        case "DescribeInstances": return .describeInstances(ids: ids)
        case "Publish":
            return .snsPublish(
                topicArn: input["TopicArn"]?.string ?? "", subject: input["Subject"]?.string,
                message: input["Message"]?.string ?? "")
        case "RebootInstances": return .rebootInstances(ids: ids)
        case "StopInstances": return .stopInstances(ids: ids, force: input["Force"]?.bool ?? false)
        case "StartInstances": return .startInstances(ids: ids)
        case "DescribeInstanceAttribute":
            return .describeInstanceAttribute(
                instanceId: input["InstanceId"]?.string ?? "", attribute: input["Attribute"]?.string ?? "")
        case "ModifyInstanceAttribute":
            return .modifySourceDestCheck(
                instanceId: input["InstanceId"]?.string ?? "",
                enabled: input["SourceDestCheck"]?.flags?["Value"] ?? true)
        default: return nil
        }
    }
}

struct VectorError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

struct SigV4VectorTests {
    static let vectors: [SigV4Vector] = (try? SigV4Vectors.load()) ?? []

    @Test func generatorRuns() throws {
        let v = try SigV4Vectors.load()
        #expect(v.count >= 12)
        #expect(v.contains { $0.sessionToken != nil } && v.contains { $0.sessionToken == nil })
    }

    @Test(arguments: vectors)
    func signatureMatchesBotocore(_ v: SigV4Vector) throws {
        let credentials = AWSCredentials(
            accessKeyId: v.accessKeyId, secretAccessKey: v.secretAccessKey, sessionToken: v.sessionToken,
            source: "test")
        let signed = try SigV4Signer(service: v.service, region: v.region).sign(
            method: "POST", host: v.host, headers: [("Content-Type", QueryForm.contentType)],
            body: Array(v.body.utf8), credentials: credentials, at: UTCTime(epochSeconds: v.epoch))
        #expect(signed.canonicalRequest == v.canonicalRequest)
        #expect(signed.stringToSign == v.stringToSign)
        #expect(signed.authorization == v.authorization)
        #expect(signed.headers.first { $0.name == "X-Amz-Date" }?.value == v.amzDate)
        #expect(signed.headers.first { $0.name == "X-Amz-Security-Token" }?.value == v.sessionToken)
    }

    /// Our form encoding of the same pairs gives botocore's (RFC 3986) body byte for byte.
    @Test(arguments: vectors)
    func formEncodingMatches(_ v: SigV4Vector) {
        let pairs = v.params.map { (name: $0[0], value: $0[1]) }
        #expect(QueryForm.encode(pairs) == v.body)
    }

    /// Our request builders produce exactly the parameters botocore's EC2 serializer does.
    @Test(arguments: vectors.filter { $0.input != nil })
    func builderMatchesBotocoreSerializer(_ v: SigV4Vector) throws {
        let query = try #require(SigV4Vectors.query(for: v))
        let ours = query.allParameters.map { [$0.name, $0.value] }.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(ours == v.params)
    }
}
