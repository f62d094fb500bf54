extension Preflight {
    /// DescribeInstanceAttribute's answers (true: the check is on) → which instances to turn it off on, and the
    /// journal lines. A VPN instance with the check on drops every packet it forwards, moved routes included.
    public static func sourceDestCheck(
        _ config: MonitorConfig, _ results: [(instance: Int, result: Result<Bool, APIFailure>)]
    ) -> (fix: [Int], reports: [MonitorReport]) {
        var fix: [Int] = []
        var reports: [MonitorReport] = []
        for (i, result) in results {
            let instance = config.instances[i]
            switch result {
            case .success(false):
                continue
            case .success(true) where config.fixSourceDestCheck:
                fix.append(i)
                reports.append(
                    MonitorReport(
                        .sourceDestCheck, instance.name,
                        "\(instance.instanceId) has the source/destination check on: turning it off (fix-source-dest-check yes)"
                    ))
            case .success(true):
                reports.append(
                    MonitorReport(
                        .sourceDestCheck, instance.name,
                        "\(instance.instanceId) has the source/destination check on: it drops the traffic it should forward (moved routes included); "
                            + "turn it off (aws ec2 modify-instance-attribute --instance-id \(instance.instanceId) --no-source-dest-check) or set fix-source-dest-check yes",
                        alert: true))
            case .failure(let failure):
                reports.append(
                    MonitorReport(
                        .sourceDestCheck, instance.name,
                        "source/destination check not audited (\(failure.message))", alert: true))
            }
        }
        return (fix, reports)
    }

    /// After ModifyInstanceAttribute: the check as read back (false: off now), or why the fix or the read failed.
    public static func sourceDestFixed(_ config: MonitorConfig, instance i: Int, _ readBack: Result<Bool, APIFailure>)
        -> MonitorReport
    {
        let instance = config.instances[i]
        switch readBack {
        case .success(false):
            return MonitorReport(
                .sourceDestCheck, instance.name, "\(instance.instanceId): source/destination check off (read back)")
        case .success(true):
            return MonitorReport(
                .sourceDestCheck, instance.name,
                "\(instance.instanceId): source/destination check still on after ModifyInstanceAttribute: it drops forwarded traffic",
                alert: true)
        case .failure(let failure):
            return MonitorReport(
                .sourceDestCheck, instance.name,
                "\(instance.instanceId): could not turn the source/destination check off (\(failure.message)): it drops forwarded traffic",
                alert: true)
        }
    }
}
