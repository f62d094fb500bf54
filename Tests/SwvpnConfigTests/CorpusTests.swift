import Foundation
import SwvpnConfig
import SwvpnProtocol
import Testing

@Suite struct CorpusTests {
    @Test func badCorpusHasAtLeastThirtyCases() {
        #expect(Corpus.files("bad", suffix: ".conf").count >= 30)
    }

    @Test(arguments: Corpus.files("bad", suffix: ".conf"))
    func badConfigFailsWithExpectedText(name: String) {
        let expected = Corpus.text("bad", name.replacingOccurrences(of: ".conf", with: ".expected"))
            .trimmingCharacters(in: .newlines)
        #expect(!expected.isEmpty, "missing .expected for \(name)")
        #expect(errorText { () throws(ConfigError) in try Corpus.load("bad", name) } == expected)
    }

    @Test(arguments: Corpus.files("vectors", suffix: ".conf"))
    func everyVectorPeerConfigParses(name: String) throws {
        let config = try Corpus.load("vectors", name)
        #expect(config.device == "tun")
        #expect(config.ifconfig != nil)
        #expect(config.tunMTU == (name.contains("occ-mismatch-udp-B") ? 1400 : 1500))
    }

    @Test func keydirUDPVectorHasExpectedValues() throws {
        let a = try Corpus.load("vectors", "aes-256-cbc-sha256-keydir-udp-A.conf")
        #expect(a.cipher == .aes256CBC)
        #expect(a.digest == .sha256)
        #expect(a.keyDirection == .normal)
        #expect(a.transport == .udp)
        #expect(a.localHost == "10.77.0.1")
        #expect(a.localPort == 1194)
        #expect(a.remotes == [RemoteEndpoint(host: "10.77.0.2", port: 1194, transport: nil, addressFamily: nil)])
        #expect(a.ifconfig?.local.description == "10.8.0.1")
        #expect(a.ifconfig?.remoteOrNetmask.description == "10.8.0.2")
        #expect(a.verbosity == 9)
        #expect(a.replay == .window(size: 64, seconds: 15))
        #expect(a.frameLayout.cryptoHeadroom == 32 + 16 + 8)
        guard case .file(let path, let direction, let location) = a.keySource else {
            Issue.record("expected a key file")
            return
        }
        #expect(path == "static.key")
        #expect(direction == .normal)
        #expect(location.description == "aes-256-cbc-sha256-keydir-udp-A.conf:7")
        let b = try Corpus.load("vectors", "aes-256-cbc-sha256-keydir-udp-B.conf")
        #expect(b.keyDirection == .inverse)
    }

    @Test func tcpVectorsPickServerAndClient() throws {
        let a = try Corpus.load("vectors", "aes-256-cbc-sha256-keydir-tcp-A.conf")
        #expect(a.transport == .tcpServer)
        #expect(a.remotes.isEmpty)
        let b = try Corpus.load("vectors", "aes-256-cbc-sha256-keydir-tcp-B.conf")
        #expect(b.transport == .tcpClient)
        #expect(b.bind == false)
        #expect(b.remotes.first?.port == 1194)
    }

    @Test func inlineSecretVectorKeepsKeyTextAndDirection() throws {
        let a = try Corpus.load("vectors", "aes-128-cbc-sha512-complzo-no-inline-udp-A.conf")
        #expect(a.cipher == .aes128CBC)
        #expect(a.digest == .sha512)
        #expect(a.compression == .lzoPrefix)
        #expect(a.compressionInOCC)
        #expect(a.keyDirection == .normal)
        guard case .inline(let block, let firstLine) = a.keySource else {
            Issue.record("expected an inline key")
            return
        }
        #expect(firstLine.description == "aes-128-cbc-sha512-complzo-no-inline-udp-A.conf:10")
        let text = block.text
        #expect(text.hasPrefix("#\n# 2048 bit OpenVPN static key\n#\n-----BEGIN OpenVPN Static key V1-----\nf97f341e"))
        #expect(text.hasSuffix("-----END OpenVPN Static key V1-----\n"))
        #expect(
            a.warnings.map(\.description) == [
                "aes-128-cbc-sha512-complzo-no-inline-udp-A.conf:7: comp-lzo: deprecated: compression framing is kept for compatibility only"
            ])
    }

    @Test func otherVectorsHaveTheirOptions() throws {
        let stub = try Corpus.load("vectors", "aes-256-cbc-sha256-compress-stub-occ-mismatch-udp-A.conf")
        #expect(stub.compression == .stubSwap)
        #expect(stub.replayPersistPath == "./a.replay")
        let frag = try Corpus.load("vectors", "aes-256-cbc-sha256-noreplay-fragment-udp-A.conf")
        #expect(frag.replay == .disabled)
        #expect(frag.fragment == 1000)
        #expect(frag.frameLayout.replayProtection == false)
        let none = try Corpus.load("vectors", "cipher-none-auth-none-udp-A.conf")
        #expect(none.cipher == CipherSpec.none)
        #expect(none.digest == DigestSpec.none)
        #expect(none.keyDirection == .bidirectional)
        let bf = try Corpus.load("vectors", "default-bf-cbc-sha1-udp-A.conf")
        #expect(bf.cipher == .bfCBC)
        #expect(bf.digest == .sha1)
        #expect(bf.providers == ["legacy", "default"])
        #expect(bf.ping.interval == 4)
        #expect(bf.ping.timeout == 20)
        #expect(bf.ping.timeoutAction == .restart)
        #expect(bf.explicitExitNotify == 2)
        #expect(bf.status == StatusFile(path: "./a.status", intervalSeconds: 2))
    }

    @Test func seedConfigsParseWithOpenVPNDefaults() throws {
        let one = try Corpus.load("seed", "vpc1-to-vpc2.conf")
        #expect(one.sourceName == "vpc1-to-vpc2.conf")
        #expect(one.cipher == .bfCBC)
        #expect(one.digest == .sha1)
        #expect(one.transport == .udp)
        #expect(one.tunMTU == 1500)
        #expect(one.verbosity == 1)
        #expect(one.ping == PingSettings())
        #expect(one.connectRetry == ConnectRetry(seconds: 1, maxSeconds: 300))
        #expect(one.keyDirection == .bidirectional)
        // `#` inside a token is not a comment.
        #expect(one.remotes == [RemoteEndpoint(host: "EIP#2", port: 1194, transport: nil, addressFamily: nil)])
        #expect(one.routes.count == 1)
        let route = try #require(one.routes.first)
        #expect(route.network.description == "172.16.0.0")
        #expect(route.prefixLength == 16)
        #expect(route.gateway == .address(IPv4Address("169.254.255.2")!))
        #expect(route.metric == nil)
        guard case .file(let path, nil, _) = one.keySource else {
            Issue.record("expected a key file without direction")
            return
        }
        #expect(path == "ovpn.key")
        let two = try Corpus.load("seed", "vpc2-to-vpc1.conf")
        #expect(two.routes.first?.network.description == "10.0.0.0")
        #expect(two.routes.first?.gateway == .address(IPv4Address("169.254.255.1")!))
    }
}
