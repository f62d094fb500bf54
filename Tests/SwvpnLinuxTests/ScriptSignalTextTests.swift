import Testing

@testable import SwvpnLinux

/// The down script's `signal` variable, derived from the exit reason as openvpn names it.
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
}
