import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension IntegrationTests {
    /// `swvpnd --check-config` as an admin meets it: the shipped samples pass, broken configs and keys
    /// print one exact error naming file and line and exit 1, `--help` and the docs list the same directives.
    /// No network and no root needed, but they live in the serialized suite with the other binary tests.
    @Suite(.serialized)
    struct CheckConfig {
        /// A scratch copy of `dir` (so relative key paths resolve and nothing is written into the sources).
        static func scratchCopy(of dir: URL, label: String) throws -> String {
            let scratch = NSTemporaryDirectory() + "swt-\(getpid())-\(label)-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.copyItem(atPath: dir.path, toPath: scratch)
            return scratch
        }

        static func corpus() throws -> URL {
            guard let url = Bundle.module.url(forResource: "CheckConfigCorpus", withExtension: nil) else {
                throw HarnessError("CheckConfigCorpus resource folder missing from the IntegrationTests bundle")
            }
            return url
        }

        /// `swvpnd ARGS` run with `dir` as its working directory (as systemd's WorkingDirectory= does).
        static func swvpnd(_ bin: String, in dir: String, _ args: [String]) throws -> CommandResult {
            try Shell.run(["-C", dir, bin] + args, timeout: 20)
        }

        static func genkey(_ bin: String, in dir: String, _ name: String) throws {
            let r = try swvpnd(bin, in: dir, ["--genkey", "--secret", name])
            guard r.succeeded else { throw HarnessError("swvpnd --genkey failed: \(r.summary)") }
        }

        /// The key file a config names with `secret FILE [dir]` (nil for an inline key).
        static func secretFile(in config: String) -> String? {
            for line in config.split(separator: "\n") {
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if words.first == "secret", words.count >= 2 { return String(words[1]) }
            }
            return nil
        }

        @Test
        func everySampleConfigInConfPassesWithAFreshKey() throws {
            let bin = try Prerequisites.swvpndBinary()
            let dir = try Self.scratchCopy(of: Paths.packageRoot.appendingPathComponent("conf"), label: "conf")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let configs = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".conf") }
                .sorted()
            #expect(
                configs.count >= 4,
                "conf/ should hold the two seed samples, a third tunnel and reference.conf: \(configs)")
            for name in configs {
                let text = try String(contentsOfFile: "\(dir)/\(name)", encoding: .utf8)
                // reference.conf ships all commented out (no secret): the next test covers it.
                if let key = Self.secretFile(in: text), !FileManager.default.fileExists(atPath: "\(dir)/\(key)") {
                    try Self.genkey(bin, in: dir, key)
                }
                guard Self.secretFile(in: text) != nil else { continue }
                let r = try Self.swvpnd(bin, in: dir, ["--check-config", "--config", name])
                #expect(r.succeeded, "\(name) does not pass --check-config: \(r.summary)")
                #expect(r.stdout.contains("\(name): OK"), "\(name): no OK line: \(r.stdout)")
                // The seed samples keep openvpn's default of no key direction on purpose (unchanged peers);
                // that one warning is expected, nothing else.
                let warnings = r.stdout.split(separator: "\n").filter {
                    $0.contains("warning") && !$0.contains("no key direction")
                }
                #expect(warnings.isEmpty, "\(name) draws warnings: \(r.stdout)")
            }
        }

        /// A key file readable by group or others draws openvpn's warning with the fix; a UDP config without
        /// key direction draws the reflection warning; both at --check-config, and the config still passes.
        @Test
        func keyFileModeAndMissingKeyDirectionAreWarnedAbout() throws {
            let bin = try Prerequisites.swvpndBinary()
            let dir = try Self.scratchCopy(of: Paths.packageRoot.appendingPathComponent("conf"), label: "warn")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try Self.genkey(bin, in: dir, "open.key")
            #expect(chmod("\(dir)/open.key", 0o640) == 0)
            try "dev tun\nremote 127.0.0.1\nifconfig 10.9.0.1 10.9.0.2\nsecret open.key\n"
                .write(toFile: "\(dir)/warn.conf", atomically: true, encoding: .utf8)
            let r = try Self.swvpnd(bin, in: dir, ["--check-config", "--config", "warn.conf"])
            #expect(r.succeeded, "\(r.summary)")
            #expect(
                r.stdout.contains(
                    "warning: warn.conf:4: secret: key file 'open.key' is accessible by group or others (mode 640): chmod 600 'open.key'"
                ),
                "\(r.stdout)")
            #expect(r.stdout.contains("warning: warn.conf:4: secret: no key direction"), "\(r.stdout)")
            #expect(chmod("\(dir)/open.key", 0o600) == 0)
            try "dev tun\nremote 127.0.0.1\nifconfig 10.9.0.1 10.9.0.2\nsecret open.key 1\n"
                .write(toFile: "\(dir)/warn.conf", atomically: true, encoding: .utf8)
            let quiet = try Self.swvpnd(bin, in: dir, ["--check-config", "--config", "warn.conf"])
            #expect(quiet.succeeded && !quiet.stdout.contains("warning"), "\(quiet.stdout)")
        }

        /// reference.conf documents every directive as a `;directive args` line. Uncommenting a consistent
        /// subset (the seed's own tunnel) must give a config that passes.
        @Test
        func referenceConfigUncommentedSeedSubsetPasses() throws {
            let bin = try Prerequisites.swvpndBinary()
            let dir = try Self.scratchCopy(of: Paths.packageRoot.appendingPathComponent("conf"), label: "ref")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let reference = try String(contentsOfFile: "\(dir)/reference.conf", encoding: .utf8)
            let wanted = [
                "dev tun", "ifconfig ", "route 172.16.0.0", "remote ", "port ", "cipher ", "auth ", "keepalive ",
            ]
            var lines: [String] = []
            for prefix in wanted {
                guard let line = reference.split(separator: "\n").first(where: { $0.hasPrefix(";" + prefix) }) else {
                    Issue.record("reference.conf has no ';\(prefix)…' line")
                    continue
                }
                lines.append(String(line.dropFirst()))
            }
            lines.append("secret ref.key 0")
            try Self.genkey(bin, in: dir, "ref.key")
            try (lines.joined(separator: "\n") + "\n").write(
                toFile: "\(dir)/ref-subset.conf", atomically: true, encoding: .utf8)
            let r = try Self.swvpnd(bin, in: dir, ["--check-config", "--config", "ref-subset.conf"])
            #expect(r.succeeded, "uncommented reference lines do not pass: \(lines)\n\(r.summary)")
        }

        /// Each `NAME.conf` in the corpus prints exactly `NAME.expected` on stderr and exits 1.
        @Test
        func everyBrokenConfigPrintsItsExactErrorAndExitsOne() throws {
            let bin = try Prerequisites.swvpndBinary()
            let dir = try Self.scratchCopy(of: try Self.corpus(), label: "corpus")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try Self.genkey(bin, in: dir, "good.key")
            let configs = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".conf") }
                .sorted()
            #expect(configs.count >= 15, "corpus too small: \(configs.count) configs")
            // Every 16-hex-digit run of every key file in the corpus.
            var keyFragments: Set<String> = []
            for keyFile in try FileManager.default.contentsOfDirectory(atPath: dir) where keyFile.hasSuffix(".key") {
                let text = try String(contentsOfFile: "\(dir)/\(keyFile)", encoding: .utf8)
                for line in text.split(separator: "\n") where line.count >= 16 && line.allSatisfy(\.isHexDigit) {
                    keyFragments.insert(String(line.prefix(16)))
                }
            }
            for name in configs {
                let base = String(name.dropLast(".conf".count))
                guard let expected = try? String(contentsOfFile: "\(dir)/\(base).expected", encoding: .utf8) else {
                    Issue.record("\(name) has no \(base).expected")
                    continue
                }
                let r = try Self.swvpnd(bin, in: dir, ["--check-config", "--config", name])
                #expect(!r.timedOut && r.status == 1, "\(name): expected exit 1: \(r.summary)")
                #expect(
                    r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
                        == expected.trimmingCharacters(in: .whitespacesAndNewlines),
                    "\(name): wrong error.\nexpected: \(expected)\ngot: \(r.stderr)")
                #expect(!r.stdout.contains("OK"), "\(name): printed OK: \(r.stdout)")
                // Key material never reaches the output, even when the key file is the broken part.
                for fragment in keyFragments where r.stderr.contains(fragment) {
                    Issue.record("\(name): key bytes in the error output: \(r.stderr)")
                }
            }
        }

        /// Directive names from `--help`: the two-space-indented synopsis lines of the directive list.
        static func helpDirectives(_ bin: String) throws -> Set<String> {
            let r = try Shell.run([bin, "--help"], timeout: 20)
            guard r.succeeded else { throw HarnessError("swvpnd --help failed: \(r.summary)") }
            guard let start = r.stdout.range(of: "Directives") else {
                throw HarnessError("--help has no directive list:\n\(r.stdout.tail(20))")
            }
            var names: Set<String> = []
            for line in r.stdout[start.upperBound...].split(separator: "\n") {
                if line.hasPrefix("USAGE:") || line.hasPrefix("OPTIONS:") { break }
                guard line.hasPrefix("  "), !line.hasPrefix("   "), let word = line.split(separator: " ").first,
                    word.first?.isLowercase == true
                else { continue }
                names.insert(String(word))
            }
            return names
        }

        /// `--help`, reference.conf and swvpnd(8) name the same directives.
        @Test
        func helpListsEveryDirectiveThatReferenceConfAndManPageDocument() throws {
            let bin = try Prerequisites.swvpndBinary()
            let help = try Self.helpDirectives(bin)
            #expect(help.count >= 40, "suspiciously few directives in --help: \(help.sorted())")
            // The list stays readable: every line under a directive is indented (no wrap to column 0).
            let text = try Shell.must([bin, "--help"], timeout: 20)
            if let list = text.components(separatedBy: "Directives").dropFirst().first?.components(
                separatedBy: "Signals:"
            ).first {
                let stray = list.split(separator: "\n").dropFirst().filter {
                    !$0.hasPrefix("  ") && !$0.hasPrefix("Rejected openvpn")
                }
                #expect(stray.isEmpty, "--help lines wrapped out of the directive list: \(stray)")
            }
            for expected in [
                "secret", "cipher", "auth", "ifconfig", "route", "keepalive", "remote", "port", "key-direction",
            ] {
                #expect(help.contains(expected), "--help does not list '\(expected)'")
            }

            let reference = try String(
                contentsOf: Paths.packageRoot.appendingPathComponent("conf/reference.conf"), encoding: .utf8)
            var documented: Set<String> = []
            // Rejected options are documented as `# REJECTED name args` followed by the reason.
            for line in reference.split(separator: "\n") where line.hasPrefix("# REJECTED ") {
                if let word = line.dropFirst("# REJECTED ".count).split(separator: " ").first {
                    documented.insert(String(word))
                }
            }
            for line in reference.split(separator: "\n") where line.hasPrefix(";") {
                var word = line.dropFirst().split(separator: " ").first.map(String.init) ?? ""
                if word.hasPrefix("<"), word.hasSuffix(">"), !word.hasPrefix("</") {
                    word = String(word.dropFirst().dropLast())  // <secret> inline block
                } else if word.hasPrefix("<") || word.hasPrefix("-") || word == "..." || word.isEmpty {
                    continue
                }
                if word.first?.isLetter == true { documented.insert(word) }
            }
            #expect(
                help.subtracting(documented).isEmpty,
                "in --help but not in conf/reference.conf: \(help.subtracting(documented).sorted())")
            #expect(
                documented.subtracting(help).isEmpty,
                "in conf/reference.conf but not in --help: \(documented.subtracting(help).sorted())")

            let man = try String(contentsOf: Paths.packageRoot.appendingPathComponent("man/swvpnd.8"), encoding: .utf8)
            let manText = man.replacingOccurrences(of: "\\-", with: "-")
            let directivesSection =
                manText.components(separatedBy: ".SH DIRECTIVES").last?
                .components(separatedBy: ".SH SIGNALS").first ?? ""
            for name in help.sorted() {
                let pattern = "(^|[^a-z-])\(name)([^a-z-]|$)"
                #expect(
                    directivesSection.range(of: pattern, options: .regularExpression) != nil,
                    "swvpnd(8) DIRECTIVES never mentions '\(name)'")
            }
        }

        /// Every option of the committed `openvpn --help` (2.6.14) list is in swvpnd's `--help`, the rejected
        /// ones under their own heading with the reason, and reference.conf gives each its class.
        @Test
        func helpAndReferenceConfCoverEveryOpenVPNOption() throws {
            let bin = try Prerequisites.swvpndBinary()
            let help = try Self.helpDirectives(bin)
            let fixture = try String(
                contentsOf: Paths.packageRoot.appendingPathComponent(
                    "Tests/SwvpnConfigTests/Corpus/openvpn/openvpn-2.6.14-help.txt"), encoding: .utf8)
            let openvpn = Set(
                fixture.split(separator: "\n").filter { $0.hasPrefix("--") }.compactMap {
                    $0.dropFirst(2).split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "-") }).first.map(
                        String.init)
                })
            #expect(openvpn.count >= 240, "fixture parsed to \(openvpn.count) names")
            #expect(
                openvpn.subtracting(help).isEmpty,
                "openvpn options missing from --help: \(openvpn.subtracting(help).sorted())")

            let text = try Shell.must([bin, "--help"], timeout: 20)
            let rejectedPart =
                text.components(separatedBy: "Rejected openvpn 2.6 options").last?
                .components(separatedBy: "Signals:").first ?? ""
            var rejectedInHelp: Set<String> = []
            for line in rejectedPart.split(separator: "\n") where line.hasPrefix("  ") && !line.hasPrefix("   ") {
                if let word = line.split(separator: " ").first { rejectedInHelp.insert(String(word)) }
            }
            let reference = try String(
                contentsOf: Paths.packageRoot.appendingPathComponent("conf/reference.conf"), encoding: .utf8)
            let lines = reference.split(separator: "\n")
            let rejectedInReference = Set(
                lines.filter { $0.hasPrefix("# REJECTED ") }
                    .compactMap { $0.dropFirst("# REJECTED ".count).split(separator: " ").first.map(String.init) })
            // A floor against a broken listing; it drops as rejected options become implemented.
            #expect(rejectedInHelp.count >= 90, "rejected list in --help: \(rejectedInHelp.count) entries")
            #expect(
                rejectedInHelp == rejectedInReference,
                "--help and reference.conf disagree on what is rejected: \(rejectedInHelp.symmetricDifference(rejectedInReference).sorted())"
            )
            for (index, line) in lines.enumerated() where line.hasPrefix("# REJECTED ") {
                let reason = index + 1 < lines.count ? lines[index + 1] : ""
                #expect(reason.hasPrefix("#   ") && reason.count > 20, "reference.conf: no reason under '\(line)'")
            }
        }

        @Test
        func versionPrintsOnlyTheVersionNumber() throws {
            let bin = try Prerequisites.swvpndBinary()
            let r = try Shell.run([bin, "--version"], timeout: 20)
            #expect(r.succeeded, "\(r.summary)")
            let version = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(
                version.range(of: #"^[0-9]+\.[0-9]+\.[0-9]+$"#, options: .regularExpression) != nil,
                "--version should print only the version: '\(r.stdout)'")
        }
    }
}
