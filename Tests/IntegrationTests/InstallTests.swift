import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension IntegrationTests {
    /// The install path for a VPN instance with no Swift toolchain (issue #4): a release build with the
    /// Swift runtime linked in, scripts/install.sh into a DESTDIR, and the units verified as installed.
    @Suite(.serialized)
    struct Install {
        /// `SWVPND_RELEASE_BIN` (scripts/test.sh builds it before `swift test`), or a release build made
        /// here into its own scratch path, so it never waits on the lock of the running debug build.
        /// The monitor's release build sits next to the daemon (install.sh's default MONITOR_BINARY).
        static func releaseBinary() throws -> String {
            if let path = ProcessInfo.processInfo.environment["SWVPND_RELEASE_BIN"] {
                for p in [path, monitorBinary(nextTo: path)] where !FileManager.default.isExecutableFile(atPath: p) {
                    throw HarnessError(
                        "\(p) is not an executable file (SWVPND_RELEASE_BIN=\(path); "
                            + "scripts/test.sh builds both products with --static-swift-stdlib)")
                }
                return path
            }
            let root = Paths.packageRoot.path
            let scratch = "\(root)/.build-release-static"
            for product in ["swvpnd", "swvpn-monitor"] {
                let r = try Shell.run(
                    [
                        "-C", root, "swift", "build", "-c", "release", "--static-swift-stdlib", "--product", product,
                        "--scratch-path", scratch,
                    ], timeout: 2400)
                guard r.succeeded else { throw HarnessError("static release build of \(product) failed: \(r.summary)") }
            }
            return "\(scratch)/release/swvpnd"
        }

        static func monitorBinary(nextTo daemon: String) -> String {
            URL(fileURLWithPath: daemon).deletingLastPathComponent().appendingPathComponent("swvpn-monitor").path
        }

        static func install(_ action: String, destdir: String, binary: String, prefix: String? = nil) throws -> String {
            var env = ["DESTDIR=\(destdir)", "BINARY=\(binary)"]
            if let prefix { env.append("PREFIX=\(prefix)") }
            let script = Paths.packageRoot.appendingPathComponent("scripts/install.sh").path
            let r = try Shell.run(env + [script, action], timeout: 60)
            guard r.succeeded else { throw HarnessError("install.sh \(action) failed: \(r.summary)") }
            return r.stdout
        }

        static func mode(_ path: String) -> Int? {
            (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
        }

        /// `Key=` values of a unit file (every occurrence, in order).
        static func values(_ key: String, in unit: String) -> [String] {
            unit.split(separator: "\n").compactMap { line in
                line.hasPrefix(key + "=") ? String(line.dropFirst(key.count + 1)) : nil
            }
        }

        /// Regular files and symlinks below `dir`, relative to it.
        static func files(under dir: String) -> [String] {
            guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
            var out: [String] = []
            while let rel = e.nextObject() as? String {
                if e.fileAttributes?[.type] as? FileAttributeType != .typeDirectory { out.append(rel) }
            }
            return out.sorted()
        }

        @Test(arguments: ["/usr/local", "/usr"])
        func installPutsEveryFileWhereTheUnitsExpectItAndUninstallKeepsConfigs(_ prefix: String) throws {
            let bin = try Self.releaseBinary()
            let dest = NSTemporaryDirectory() + "swt-\(getpid())-install-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: dest, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dest) }
            _ = try Self.install("install", destdir: dest, binary: bin, prefix: prefix)

            let sbin = "\(prefix)/sbin/swvpnd"
            let monitorSbin = "\(prefix)/sbin/swvpn-monitor"
            let unitDir = "\(dest)/usr/lib/systemd/system"
            let expected: [(String, Int)] =
                [
                    (sbin, 0o755),
                    (monitorSbin, 0o755),
                    ("/usr/lib/systemd/system/swvpn-monitor.service", 0o644),
                    ("\(prefix)/share/man/man8/swvpn-monitor.8", 0o644),
                    ("/usr/lib/systemd/system/swvpnd@.service", 0o644),
                    ("/usr/lib/systemd/system/swvpnd.target", 0o644),
                    ("/usr/lib/sysctl.d/60-swvpnd-forwarding.conf", 0o644),
                    ("\(prefix)/share/man/man8/swvpnd.8", 0o644),
                    ("\(prefix)/share/doc/swvpnd/README.md", 0o644),
                ]
                + [
                    "vpc1-to-vpc2.conf", "vpc2-to-vpc1.conf", "vpc1-to-vpc3.conf", "reference.conf", "monitor.conf",
                    "use-etc-openvpn.conf",
                ]
                .map { ("\(prefix)/share/doc/swvpnd/examples/\($0)", 0o644) }
            for (path, mode) in expected {
                #expect(
                    Self.mode(dest + path) == mode,
                    "\(path): mode \(Self.mode(dest + path).map { String($0, radix: 8) } ?? "missing")")
            }
            #expect(Self.mode("\(dest)/etc/swvpnd") == 0o750, "/etc/swvpnd must be created 0750")

            // The unit points at what was installed: ExecStart binary, config dir, working dir, man page.
            let unit = try String(contentsOfFile: "\(unitDir)/swvpnd@.service", encoding: .utf8)
            let execStart = Self.values("ExecStart", in: unit)
            #expect(execStart.count == 1, "ExecStart lines: \(execStart)")
            let argv = execStart.first?.split(separator: " ").map(String.init) ?? []
            #expect(argv.first == sbin, "ExecStart runs \(argv.first ?? "nothing"), installed binary is \(sbin)")
            #expect(FileManager.default.isExecutableFile(atPath: dest + (argv.first ?? "/nonexistent")))
            #expect(argv.suffix(2) == ["--config", "/etc/swvpnd/%i.conf"], "ExecStart config: \(argv)")
            #expect(Self.values("WorkingDirectory", in: unit) == ["/etc/swvpnd"])
            #expect(Self.values("Documentation", in: unit) == ["man:swvpnd(8)"])
            #expect(Self.values("Type", in: unit) == ["notify"])
            #expect(Self.values("WatchdogSec", in: unit).count == 1)
            #expect(Self.values("DeviceAllow", in: unit).contains("/dev/net/tun rw"))
            #expect(Self.values("LimitNPROC", in: unit).isEmpty, "openvpn's LimitNPROC must not come back")
            #expect(unit.contains("PartOf=swvpnd.target"))
            let dropIn = try String(
                contentsOfFile: "\(dest)\(prefix)/share/doc/swvpnd/examples/use-etc-openvpn.conf", encoding: .utf8)
            #expect(
                Self.values("ExecStart", in: dropIn).last?.hasPrefix(sbin + " ") == true,
                "use-etc-openvpn.conf ExecStart: \(Self.values("ExecStart", in: dropIn))")
            // The monitor's unit runs the installed monitor on /etc/swvpnd/monitor.conf.
            let monitorUnit = try String(contentsOfFile: "\(unitDir)/swvpn-monitor.service", encoding: .utf8)
            let monitorArgv =
                Self.values("ExecStart", in: monitorUnit).first?.split(separator: " ").map(String.init) ?? []
            #expect(
                monitorArgv == [monitorSbin, "run", "--config", "/etc/swvpnd/monitor.conf"],
                "monitor ExecStart: \(monitorArgv)")
            #expect(FileManager.default.isExecutableFile(atPath: dest + monitorSbin))
            #expect(Self.values("Documentation", in: monitorUnit) == ["man:swvpn-monitor(8)"])
            #expect(Self.values("Type", in: monitorUnit) == ["notify"])
            let sysctl = try String(
                contentsOfFile: "\(dest)/usr/lib/sysctl.d/60-swvpnd-forwarding.conf", encoding: .utf8)
            #expect(sysctl.split(separator: "\n").contains("net.ipv4.ip_forward = 1"))

            // No Swift toolchain needed: ldd shows no Swift runtime, and they run with an empty environment.
            let installed = dest + sbin
            for binary in [installed, dest + monitorSbin] {
                let ldd = try Shell.run(["ldd", binary], timeout: 20)
                #expect(ldd.succeeded, "ldd: \(ldd.summary)")
                for lib in ["libswift", "Foundation", "libdispatch", "libBlocksRuntime", "not found"] {
                    #expect(!ldd.stdout.contains(lib), "installed \(binary) links \(lib):\n\(ldd.stdout)")
                }
                #expect(ldd.stdout.contains("libcrypto.so.3"), "expected libcrypto from the system:\n\(ldd.stdout)")
            }
            let help = try Shell.run(["-i", "LD_LIBRARY_PATH=", dest + monitorSbin, "--help"], timeout: 20)
            #expect(
                help.succeeded && help.stdout.contains("swvpn-monitor"),
                "installed monitor --help with env -i: \(help.summary)")
            let version = try Shell.run(["-i", "LD_LIBRARY_PATH=", installed, "--version"], timeout: 20)
            #expect(version.succeeded, "installed binary --version with env -i: \(version.summary)")
            let debugVersion = try Shell.run([try Prerequisites.swvpndBinary(), "--version"], timeout: 20)
            #expect(
                !version.stdout.isEmpty && version.stdout == debugVersion.stdout,
                "release --version '\(version.stdout)' vs debug '\(debugVersion.stdout)'")

            // Uninstall removes exactly what install put, and never the admin's configs and keys.
            try "port 1194\n".write(toFile: "\(dest)/etc/swvpnd/mine.conf", atomically: true, encoding: .utf8)
            try "not a real key\n".write(toFile: "\(dest)/etc/swvpnd/mine.key", atomically: true, encoding: .utf8)
            // An existing /etc/swvpnd keeps its mode on reinstall.
            chmod("\(dest)/etc/swvpnd", 0o700)
            _ = try Self.install("install", destdir: dest, binary: bin, prefix: prefix)
            #expect(Self.mode("\(dest)/etc/swvpnd") == 0o700, "reinstall changed the mode of an existing /etc/swvpnd")
            let out = try Self.install("uninstall", destdir: dest, binary: bin, prefix: prefix)
            #expect(out.contains("kept"), "uninstall should say it kept /etc/swvpnd: \(out)")
            let left = Self.files(under: dest)
            #expect(left == ["etc/swvpnd/mine.conf", "etc/swvpnd/mine.key"], "left after uninstall: \(left)")
            #expect(!FileManager.default.fileExists(atPath: "\(dest)\(prefix)/share/doc/swvpnd"))
        }

        /// scripts/check-units.sh: systemd-analyze verify on the units as installed, warnings are failures.
        @Test
        func checkUnitsScriptPassesOnTheInstalledUnits() throws {
            guard Prerequisites.which("systemd-analyze") != nil else {
                throw HarnessError("systemd-analyze missing: apt-get install systemd (scripts/test.sh does)")
            }
            let bin = try Self.releaseBinary()
            let script = Paths.packageRoot.appendingPathComponent("scripts/check-units.sh").path
            let r = try Shell.run(["BINARY=\(bin)", script], timeout: 180)
            #expect(r.succeeded, "check-units.sh failed: \(r.summary)")
            for unit in [
                "swvpnd@vpc1-to-vpc3.service", "swvpnd@vpc1-to-vpc2.service", "swvpnd.target",
                "swvpn-monitor.service", "use-etc-openvpn drop-in is loaded", "60-swvpnd-forwarding.conf",
            ] {
                #expect(r.stdout.contains("ok \(unit)"), "check-units.sh did not report 'ok \(unit)':\n\(r.stdout)")
            }
        }
    }
}
