import Foundation
import SwvpnAWS

/// Turns EC2 Query API answers into models or `AWSError`s. Error bodies are
/// `Response/Errors/Error/{Code,Message}` (matched by local name); success bodies are rooted at
/// `<Action>Response`.
enum EC2Response {
    /// The parsed success body of `action`, or the error the answer carries.
    static func decode(action: String, status: Int, body: Data) throws(AWSError) -> XMLTree {
        let tree = XMLTree.parse(body)
        if let tree, let error = apiError(tree, status: status, action: action) { throw error }
        guard (200..<300).contains(status) else {
            // A 5xx from a load balancer or proxy often has no XML: classify by status alone.
            let code = status == 503 ? "ServiceUnavailable" : "HTTP\(status)"
            throw AWSError(
                kind: AWSError.Kind(code: code, httpStatus: status), code: code,
                message: "HTTP \(status) without an EC2 error body", httpStatus: status, action: action)
        }
        guard let tree else { throw malformed(action, status, "the body is not well-formed XML") }
        guard tree.name == "\(action)Response" else {
            throw malformed(action, status, "expected <\(action)Response>, got <\(tree.name)>")
        }
        if tree.child("return")?.text == "false" { throw malformed(action, status, "the API returned false") }
        return tree
    }

    /// `Response/Errors/Error` as an AWSError, if the tree is one.
    static func apiError(_ tree: XMLTree, status: Int, action: String) -> AWSError? {
        guard tree.name == "Response" || tree.name == "ErrorResponse",
            let error = tree.child("Errors")?.child("Error") ?? tree.child("Error")
        else { return nil }
        let code = error.value("Code") ?? "Unknown"
        let httpStatus = (200..<300).contains(status) ? 400 : status
        return AWSError(
            kind: AWSError.Kind(code: code, httpStatus: httpStatus), code: code,
            message: error.value("Message") ?? "", httpStatus: status, action: action)
    }

    static func malformed(_ action: String, _ status: Int, _ why: String) -> AWSError {
        AWSError(kind: .malformedResponse, code: "MalformedResponse", message: why, httpStatus: status, action: action)
    }

    static func routeTables(_ tree: XMLTree) throws(AWSError) -> [EC2RouteTable] {
        var tables: [EC2RouteTable] = []
        for item in tree.items("routeTableSet") {
            guard let id = item.value("routeTableId") else {
                throw malformed("DescribeRouteTables", 200, "a route table without routeTableId")
            }
            // IPv6 and prefix-list routes have no destinationCidrBlock: not ours to manage, skipped.
            let routes = item.items("routeSet").compactMap { r -> EC2Route? in
                guard let cidr = r.value("destinationCidrBlock") else { return nil }
                return EC2Route(
                    destinationCidr: cidr, instanceId: r.value("instanceId"),
                    networkInterfaceId: r.value("networkInterfaceId"), state: r.value("state") ?? "active")
            }
            tables.append(EC2RouteTable(id: id, vpcId: item.value("vpcId"), routes: routes))
        }
        return tables
    }

    static func instanceStatuses(_ tree: XMLTree) throws(AWSError) -> [EC2InstanceStatus] {
        var statuses: [EC2InstanceStatus] = []
        for item in tree.items("instanceStatusSet") {
            guard let id = item.value("instanceId"), let state = item.value("instanceState", "name") else {
                throw malformed("DescribeInstanceStatus", 200, "an instance status without instanceId or instanceState")
            }
            statuses.append(
                EC2InstanceStatus(
                    instanceId: id, state: state,
                    instanceStatus: item.value("instanceStatus", "status"),
                    systemStatus: item.value("systemStatus", "status")))
        }
        return statuses
    }

    static func instances(_ tree: XMLTree) throws(AWSError) -> [EC2Instance] {
        var out: [EC2Instance] = []
        for reservation in tree.items("reservationSet") {
            for item in reservation.items("instancesSet") {
                guard let id = item.value("instanceId"), let state = item.value("instanceState", "name") else {
                    throw malformed("DescribeInstances", 200, "an instance without instanceId or instanceState")
                }
                let enis = item.items("networkInterfaceSet").compactMap { eni -> (Int, String)? in
                    guard let eniId = eni.value("networkInterfaceId") else { return nil }
                    return (Int(eni.value("attachment", "deviceIndex") ?? "") ?? Int.max, eniId)
                }.sorted { $0.0 < $1.0 }.map(\.1)
                let check = item.value("sourceDestCheck").flatMap { $0 == "true" ? true : $0 == "false" ? false : nil }
                let name = item.items("tagSet").first { $0.value("key") == "Name" }?.value("value")
                out.append(
                    EC2Instance(
                        instanceId: id, state: state, privateIp: item.value("privateIpAddress"),
                        availabilityZone: item.value("placement", "availabilityZone"),
                        vpcId: item.value("vpcId"), subnetId: item.value("subnetId"),
                        sourceDestCheck: check, networkInterfaceIds: enis, name: name))
            }
        }
        return out
    }

    static func sourceDestCheck(_ tree: XMLTree) throws(AWSError) -> Bool {
        switch tree.value("sourceDestCheck", "value") {
        case "true": return true
        case "false": return false
        case let other: throw malformed("DescribeInstanceAttribute", 200, "sourceDestCheck value \(other ?? "missing")")
        }
    }
}
