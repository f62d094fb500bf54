extension MonitorCore {
    mutating func ec2Succeeded() {
        lastEC2Success = now
        ec2FailingSince = nil
        ec2ErrorReported = false
    }

    mutating func ec2Failed(_ action: String, _ failure: APIFailure) {
        if failure.kind == .unreachable, ec2FailingSince == nil { ec2FailingSince = now }
        if !ec2ErrorReported || failure.kind == .rejected {
            emit(.ec2Error, action, failure.message, alert: failure.kind == .rejected)
            ec2ErrorReported = true
        }
    }

    /// EC2 unreachable since the last success for `isolation-after`; the agents' side is set by each health round.
    mutating func updateIsolation() {
        let wasIsolated = isolationReported
        ec2Unreachable =
            ec2FailingSince != nil && now - (lastEC2Success ?? started ?? now) >= config.timings.isolationAfter
        guard isolated != wasIsolated else { return }
        isolationReported = isolated
        if isolated {
            let why =
                ec2Unreachable
                ? "EC2 unreachable for \(Self.seconds(now - (lastEC2Success ?? started ?? now)))"
                : "most swvpnd agents silent while EC2 reports their instances running"
            emit(.isolated, "monitor", "the monitor looks cut off (\(why)): moving and restarting nothing", alert: true)
        } else {
            emit(.isolationOver, "monitor", "the monitor sees EC2 and the agents again", alert: true)
        }
    }
}
