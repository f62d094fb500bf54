import SwvpnConfig
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
