import Testing

@testable import SwvpnLinux

/// The down script's `signal` variable, derived from the exit reason as openvpn names it, and how a failed
/// script is described.
struct ScriptSignalTextTests {
    @Test(arguments: [
        ("SIGTERM[hard,] received", "sigterm"),
        ("SIGINT[hard,] received", "sigint"),
        ("SIGTERM[soft,ping-exit] received", "ping-exit"),
        ("SIGTERM[soft,exit-with-notification] received", "exit-with-notification"),
        ("SIGTERM[hard,tun-error] received", "tun-error"),
    ])
    func downScriptSignalNamesWhatEndedTheTunnel(_ reason: String, _ expected: String) {
        #expect(TunnelController.signalText(reason) == expected)
    }

    /// openvpn 2.6's words for a failed script, as its warning and fatal lines carry them.
    @Test func failedScriptsAreDescribedInOpenVPNsWords() {
        #expect(ScriptRunner.Outcome.exited(3).openvpnText == "external program exited with error status: 3")
        #expect(ScriptRunner.Outcome.signaled(9).openvpnText == "external program did not exit normally")
        #expect(ScriptRunner.Outcome.timedOut(seconds: 60).openvpnText == "external program did not exit normally")
        #expect(ScriptRunner.Outcome.notStarted("ENOENT").openvpnText == "could not execute external program")
    }
}
