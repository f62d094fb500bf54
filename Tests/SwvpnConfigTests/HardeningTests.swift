import SwvpnConfig
import SwvpnProtocol
import Testing

/// Configs that would break framing, and warnings that name a risk and its fix.
@Suite struct HardeningTests {
    static func parse(_ text: String) throws(ConfigError) -> TunnelConfig {
        try TunnelConfig.parse(text: text, source: "t.conf")
    }

    @Test func tunMTUThatCannotBeFramedOverTCPIsRejectedWithItsLine() throws {
        let text = "dev tun\nproto tcp-server\nsecret k.key 0\ncipher AES-256-CBC\nauth SHA256\ntun-mtu 65535\n"
        #expect {
            try Self.parse(text)
        } throws: { error in
            let message = "\(error)"
            return message.hasPrefix("t.conf:6: tun-mtu: tun-mtu 65535 cannot be carried over TCP")
                && message.contains("use tun-mtu 65463 or less")
        }
        // The largest value it names is accepted; UDP has no length prefix to overflow.
        _ = try Self.parse(text.replacingOccurrences(of: "65535", with: "65463"))
        #expect(throws: ConfigError.self) { try Self.parse(text.replacingOccurrences(of: "65535", with: "65464")) }
        _ = try Self.parse(text.replacingOccurrences(of: "proto tcp-server", with: "proto udp"))
        // A per-remote TCP override counts too.
        let perRemote = "dev tun\nremote 127.0.0.1 1194 tcp-client\nsecret k.key 1\ntun-mtu 65535\n"
        #expect(throws: ConfigError.self) { try Self.parse(perRemote) }
    }

    /// An inline `<secret>` is one buffer of its own, parsed in place; wiping it (as the daemon does
    /// right after parsing) leaves no key text in the config, which lives as long as the process.
    @Test func inlineSecretIsParsedInPlaceAndWiped() throws {
        let key = StaticKey(bytes: (0..<256).map { UInt8($0) })!
        let config = try Self.parse("dev tun\nkey-direction 0\n<secret>\n" + key.fileText + "</secret>\n")
        guard case .inline(let block, let first) = config.keySource else {
            Issue.record("expected an inline key")
            return
        }
        #expect(first.line == 4)
        #expect(block.count == key.fileText.utf8.count)
        let parsed = try block.withBytes { (text) throws(KeyFileError) in
            try StaticKey.parse(text, source: "t.conf", firstLine: 4)
        }
        #expect(parsed == key)
        block.wipe()
        #expect(block.count == 0 && block.text.isEmpty)
        guard case .inline(let again, _) = config.keySource else { return }
        #expect(again.count == 0, "the config shares the wiped block, not a copy")
    }

    @Test func udpWithoutKeyDirectionWarnsAboutReflection() throws {
        let plain = try Self.parse("dev tun\nremote 127.0.0.1\nsecret k.key\n")
        let warning = try #require(plain.warnings.first { $0.message.contains("key direction") })
        #expect(warning.description.hasPrefix("t.conf:3: secret: no key direction"))
        #expect(
            warning.message.contains("reflected") && warning.message.contains("'secret FILE 0'")
                && warning.message.contains("key-direction"))
        for quiet in [
            "dev tun\nremote 127.0.0.1\nsecret k.key 0\n",
            "dev tun\nremote 127.0.0.1\nsecret k.key\nkey-direction 1\n",
            "dev tun\nremote 127.0.0.1\nproto tcp-client\nsecret k.key\n",
        ] {
            let config = try Self.parse(quiet)
            #expect(!config.warnings.contains { $0.message.contains("key direction") }, "\(quiet)")
        }
    }
}

extension HardeningTests {
    @Test func upAndDownCommandsMustSplitIntoArgv() throws {
        let config = try Self.parse("dev tun\nsecret k.key 0\nup \"/etc/swvpnd/up.sh 'two words' x\"\n")
        #expect(
            try ConfigLexer.splitCommand(
                try #require(config.upCommand), location: ConfigLocation(source: "x", line: nil))
                == ["/etc/swvpnd/up.sh", "two words", "x"])
        #expect {
            try Self.parse("dev tun\nsecret k.key 0\ndown \"/etc/swvpnd/down.sh 'unclosed\"\n")
        } throws: { "\($0)".hasPrefix("t.conf:3: no closing single quotation") }
    }
}
