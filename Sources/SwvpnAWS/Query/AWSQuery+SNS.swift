extension AWSQuery {
    public static let snsVersion = "2010-03-31"

    /// SNS Publish of a plain-text message (Subject: ASCII, at most 100 characters, no line breaks).
    public static func snsPublish(topicArn: String, subject: String?, message: String) -> AWSQuery {
        var parameters: [(name: String, value: String)] = [("TopicArn", topicArn), ("Message", message)]
        if let subject { parameters.append(("Subject", subject)) }
        return AWSQuery(action: "Publish", version: snsVersion, parameters: parameters)
    }
}
