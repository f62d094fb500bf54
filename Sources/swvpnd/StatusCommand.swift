import ArgumentParser
import SwvpnHealth
import SwvpnLinux

/// `swvpnd status [NAME...] [--json]`: every running tunnel (or the named ones), read from their
/// control sockets, like `wg show`. Exit status 0 only when every tunnel shown is up.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swvpnd status",
        abstract:
            "Show the state of running tunnels (from their control sockets in $RUNTIME_DIRECTORY or /run/swvpnd).",
        discussion: "Exit status: 0 when every tunnel shown is up, 1 otherwise (or when a named tunnel is not running)."
    )

    @Flag(help: "Print a JSON array of the tunnels' snapshots.")
    var json = false

    @Argument(help: "Tunnel names (the config file's name without .conf); default: all running.")
    var names: [String] = []

    mutating func run() throws {
        let directory = HealthService.runtimeDirectory()
        let wanted = names.isEmpty ? ControlClient.tunnels(in: directory) : names
        var snapshots: [TunnelSnapshot] = []
        var failed = false
        for name in wanted {
            do throws(ControlClient.Failure) {
                snapshots.append(try ControlClient.snapshot(path: "\(directory)/\(name).sock"))
            } catch {
                FileHandleStderr.write("swvpnd status: \(name): \(error)\n")
                failed = true
            }
        }
        if json {
            print("[" + snapshots.map(\.json).joined(separator: ",") + "]")
        } else if wanted.isEmpty {
            print("no tunnels running (no control sockets in \(directory))")
        } else {
            print(snapshots.map(\.statusText).joined(separator: "\n\n"))
        }
        if failed || wanted.isEmpty || !snapshots.allSatisfy({ $0.state == .up }) { throw ExitCode(1) }
    }
}
