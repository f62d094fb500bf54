import Foundation
import SwvpnProtocol
import SwvpnTestSupport
import Testing

struct OCCTests {
    // MARK: Options string (§7.3, §7.4)

    static let a = (local: "10.8.0.1", remote: "10.8.0.2")
    static let b = (local: "10.8.0.2", remote: "10.8.0.1")

    static func seed(
        _ ifc: (local: String, remote: String) = a, dir: KeyDirection = .normal, cipher: CipherSpec = .aes256CBC,
        digest: DigestSpec = .sha256
    ) -> OCCOptions {
        OCCOptions(ifconfig: ifc, keyDirection: dir, cipher: cipher, digest: digest)
    }

    @Test func seedConfigurationStringsMatchSpec() {
        let peerA = Self.seed()
        let peerB = Self.seed(Self.b, dir: .inverse)
        let aLocal =
            "V4,dev-type tun,link-mtu 1572,tun-mtu 1500,proto UDPv4,ifconfig 10.8.0.2 10.8.0.1,keydir 0,cipher AES-256-CBC,auth SHA256,keysize 256,secret"
        let bLocal =
            "V4,dev-type tun,link-mtu 1572,tun-mtu 1500,proto UDPv4,ifconfig 10.8.0.1 10.8.0.2,keydir 1,cipher AES-256-CBC,auth SHA256,keysize 256,secret"
        #expect(peerA.localString == aLocal)
        #expect(peerB.localString == bLocal)
        #expect(peerA.expectedRemoteString == bLocal)
        #expect(peerB.expectedRemoteString == aLocal)
        #expect(OCCMessage.reply(aLocal).bytes.count == 158)
    }

    @Test(arguments: [
        (
            OCCOptions(ifconfig: a),
            "V4,dev-type tun,link-mtu 1544,tun-mtu 1500,proto UDPv4,ifconfig 10.8.0.2 10.8.0.1,cipher BF-CBC,auth SHA1,keysize 128,secret"
        ),
        (
            OCCOptions(ifconfig: a, cipher: CipherSpec.none, digest: DigestSpec.none),
            "V4,dev-type tun,link-mtu 1508,tun-mtu 1500,proto UDPv4,ifconfig 10.8.0.2 10.8.0.1,cipher [null-cipher],auth [null-digest],keysize 0,secret"
        ),
        (
            OCCOptions(
                ifconfig: a, compression: .lzoPrefix, keyDirection: .normal, cipher: .aes128CBC, digest: .sha512),
            "V4,dev-type tun,link-mtu 1605,tun-mtu 1500,proto UDPv4,ifconfig 10.8.0.2 10.8.0.1,comp-lzo,keydir 0,cipher AES-128-CBC,auth SHA512,keysize 128,secret"
        ),
        (
            OCCOptions(proto: .tcpServer, ifconfig: a, keyDirection: .normal, cipher: .aes256CBC, digest: .sha256),
            "V4,dev-type tun,link-mtu 1574,tun-mtu 1500,proto TCPv4_SERVER,ifconfig 10.8.0.2 10.8.0.1,keydir 0,cipher AES-256-CBC,auth SHA256,keysize 256,secret"
        ),
        (
            OCCOptions(ifconfig: a, compression: .stubSwap, keyDirection: .normal, cipher: .aes256CBC, digest: .sha256),
            "V4,dev-type tun,link-mtu 1573,tun-mtu 1500,proto UDPv4,ifconfig 10.8.0.2 10.8.0.1,comp-lzo,keydir 0,cipher AES-256-CBC,auth SHA256,keysize 256,secret"
        ),
        (
            OCCOptions(
                ifconfig: a, fragment: true, keyDirection: .normal, cipher: .aes256CBC, digest: .sha256, noReplay: true),
            "V4,dev-type tun,link-mtu 1568,tun-mtu 1500,proto UDPv4,ifconfig 10.8.0.2 10.8.0.1,mtu-dynamic,keydir 0,cipher AES-256-CBC,auth SHA256,keysize 256,secret,no-replay"
        ),
        (
            OCCOptions(ifconfig: a, ifconfigIPv6: true, keyDirection: .normal, cipher: .aes256CBC, digest: .sha256),
            "V4,dev-type tun,link-mtu 1572,tun-mtu 1500,proto UDPv4,tun-ipv6,ifconfig 10.8.0.2 10.8.0.1,keydir 0,cipher AES-256-CBC,auth SHA256,keysize 256,secret"
        ),
        (
            OCCOptions(
                devType: .tap, ifconfig: (local: "10.8.0.1", remote: "255.255.255.0"), ifconfigIPv6: true,
                keyDirection: .normal, cipher: .aes256CBC, digest: .sha256),
            "V4,dev-type tap,link-mtu 1604,tun-mtu 1500,proto UDPv4,tun-ipv6,ifconfig 10.8.0.0 255.255.255.0,keydir 0,cipher AES-256-CBC,auth SHA256,keysize 256,secret"
        ),
    ])
    func reproducesSpecStrings(options: OCCOptions, expected: String) {
        #expect(options.localString == expected)
    }

    @Test func tapAndSubnetUseNetworkAndNetmaskOnBothSides() {
        var o = OCCOptions(ifconfig: (local: "10.8.0.7", remote: "255.255.255.0"), topology: .subnet)
        #expect(o.localString.contains(",ifconfig 10.8.0.0 255.255.255.0,"))
        #expect(o.expectedRemoteString.contains(",ifconfig 10.8.0.0 255.255.255.0,"))
        o.ifconfig = nil
        #expect(!o.localString.contains("ifconfig"))
    }

    @Test func occMTUOnlyChangesTheTunMTUItem() {
        let o = OCCOptions(tunMTU: 1400, occMTU: 1500, ifconfig: Self.a)
        #expect(o.localString.contains(",link-mtu 1444,tun-mtu 1500,"))
    }

    @Test func computedLinkMTUs() {
        #expect(OCCOptions(cipher: .aes128CBC, digest: .sha1).linkMTU == 1560)
        #expect(OCCOptions(cipher: .aes256CBC, digest: .sha512).linkMTU == 1604)
        #expect(OCCOptions(devType: .tap, cipher: .aes256CBC, digest: .sha256).linkMTU == 1604)
        #expect(OCCOptions(compression: .stubV2, cipher: .aes256CBC, digest: .sha256).linkMTU == 1572)
    }

    // MARK: Captured OCC replies

    struct VectorSet: Sendable, CustomStringConvertible {
        let directory: String
        let peerA: OCCOptions
        let peerB: OCCOptions
        var description: String { directory }
    }

    static let vectorSets: [VectorSet] = [
        VectorSet(
            directory: "default-bf-cbc-sha1-udp",
            peerA: OCCOptions(ifconfig: a), peerB: OCCOptions(ifconfig: b)),
        VectorSet(
            directory: "aes-256-cbc-sha256-keydir-udp",
            peerA: seed(), peerB: seed(b, dir: .inverse)),
        VectorSet(
            directory: "aes-256-cbc-sha256-keydir-tcp",
            peerA: OCCOptions(
                proto: .tcpServer, ifconfig: a, keyDirection: .normal, cipher: .aes256CBC, digest: .sha256),
            peerB: OCCOptions(
                proto: .tcpClient, ifconfig: b, keyDirection: .inverse, cipher: .aes256CBC, digest: .sha256)),
        VectorSet(
            directory: "aes-128-cbc-sha512-complzo-no-inline-udp",
            peerA: OCCOptions(
                ifconfig: a, compression: .lzoPrefix, keyDirection: .normal, cipher: .aes128CBC, digest: .sha512),
            peerB: OCCOptions(
                ifconfig: b, compression: .lzoPrefix, keyDirection: .inverse, cipher: .aes128CBC, digest: .sha512)),
        VectorSet(
            directory: "aes-256-cbc-sha256-compress-stub-occ-mismatch-udp",
            peerA: OCCOptions(
                ifconfig: a, compression: .stubSwap, keyDirection: .normal, cipher: .aes256CBC, digest: .sha256),
            peerB: OCCOptions(
                tunMTU: 1400, ifconfig: b, compression: .stubSwap, keyDirection: .inverse, cipher: .aes256CBC,
                digest: .sha256)),
        VectorSet(
            directory: "aes-256-cbc-sha256-noreplay-fragment-udp",
            peerA: OCCOptions(
                ifconfig: a, fragment: true, keyDirection: .normal, cipher: .aes256CBC, digest: .sha256, noReplay: true),
            peerB: OCCOptions(
                ifconfig: b, fragment: true, keyDirection: .inverse, cipher: .aes256CBC, digest: .sha256, noReplay: true
            )),
        VectorSet(
            directory: "cipher-none-auth-none-udp",
            peerA: OCCOptions(ifconfig: a, cipher: .none, digest: .none),
            peerB: OCCOptions(ifconfig: b, cipher: .none, digest: .none)),
    ]

    /// Strips fragment header and compression framing the way the receive path does.
    static func unframedMessage(_ packet: Vectors.Packet, options: OCCOptions) throws -> OCCMessage? {
        var bytes = packet.decryptedPayload + [0]  // spare byte so tailroom exists for any framing
        return try bytes.withUnsafeMutableBytes { buf throws -> OCCMessage? in
            var offset = 0
            var length = packet.decryptedPayload.count
            if options.fragment {
                let r = FragmentReassembler(capacity: 2000)
                guard case .packet(let o, let l) = r.receive(buf, offset: offset, length: length, now: 0) else {
                    Issue.record("frame \(packet.frame): not a whole fragment")
                    return nil
                }
                (offset, length) = (o, l)
            }
            guard case .packet(let o, let l) = options.compression.unframe(buf, offset: offset, length: length) else {
                Issue.record("frame \(packet.frame): framing rejected")
                return nil
            }
            return OCCMessage.decode(UnsafeRawBufferPointer(rebasing: buf[o..<o + l]))
        }
    }

    @Test(arguments: vectorSets)
    func reproducesCapturedReplies(set: VectorSet) throws {
        let packets = try Vectors.packets(set.directory)
        var replies = 0
        for p in packets where p.kind.hasPrefix("OCC") {
            let options = p.sender == "A" ? set.peerA : set.peerB
            let message = try #require(try Self.unframedMessage(p, options: options))
            switch p.kind {
            case "OCC_REPLY":
                #expect(message == .reply(options.localString), "frame \(p.frame) from \(p.sender)")
                replies += 1
            case "OCC_REQUEST": #expect(message == .request)
            case "OCC_EXIT": #expect(message == .exit)
            default: Issue.record("unexpected kind \(p.kind)")
            }
        }
        #expect(replies == 2)
        if !set.directory.contains("mismatch") {
            #expect(set.peerA.expectedRemoteString == set.peerB.localString)
            #expect(set.peerB.expectedRemoteString == set.peerA.localString)
        }
    }

    @Test func encodesRepliesByteForByte() throws {
        for p in try Vectors.packets("aes-256-cbc-sha256-keydir-udp") where p.kind == "OCC_REPLY" {
            let options = p.sender == "A" ? Self.seed() : Self.seed(Self.b, dir: .inverse)
            #expect(OCCMessage.reply(options.localString).bytes == p.decryptedPayload)
        }
        let request = try #require(try Vectors.packets("default-bf-cbc-sha1-udp").first { $0.kind == "OCC_REQUEST" })
        #expect(OCCMessage.request.bytes == request.decryptedPayload)
        let exit = try #require(try Vectors.packets("default-bf-cbc-sha1-udp").first { $0.kind == "OCC_EXIT" })
        #expect(OCCMessage.exit.bytes == exit.decryptedPayload)
    }

    // MARK: Comparison (§7.5)

    @Test func mismatchVectorProducesOpenVPNWarnings() throws {
        let set = Self.vectorSets.first { $0.directory.contains("mismatch") }!
        let warnings = set.peerA.warnings(forReceived: set.peerB.localString).map(\.description)
        #expect(
            warnings == [
                "WARNING: 'link-mtu' is used inconsistently, local='link-mtu 1573', remote='link-mtu 1473'",
                "WARNING: 'tun-mtu' is used inconsistently, local='tun-mtu 1500', remote='tun-mtu 1400'",
            ])
    }

    @Test func neverReportsKeydirProtoCipherOrTunIPv6() {
        let mine = OCCOptions(ifconfig: Self.a, keyDirection: .normal, cipher: .aes256CBC, digest: .sha256)
        var theirs = OCCOptions(
            proto: .tcpServer, ifconfig: Self.b, ifconfigIPv6: true, keyDirection: .normal, cipher: .aes128CBC,
            digest: .sha256)
        theirs.tunMTU = 1500 - 16 - 2  // keep link-mtu equal
        let w = mine.warnings(forReceived: theirs.localString)
        #expect(w.allSatisfy { !["keydir", "proto", "cipher", "tun-ipv6"].contains($0.option) })
        #expect(w.contains(.inconsistent(option: "keysize", local: "keysize 256", remote: "keysize 128")))
    }

    @Test func reportsMissingItemsBothWays() {
        let mine = OCCOptions(ifconfig: Self.a, compression: .lzoPrefix)
        let theirs = OCCOptions(ifconfig: Self.b, fragment: true)
        let w = mine.warnings(forReceived: theirs.localString)
        #expect(w.contains(.missingInRemote(option: "comp-lzo", local: "comp-lzo")))
        #expect(w.contains(.missingInLocal(option: "mtu-dynamic", remote: "mtu-dynamic")))
        #expect(
            w.last?.description
                == "WARNING: 'mtu-dynamic' is present in remote config but missing in local config, remote='mtu-dynamic'"
        )
    }

    @Test func notesVersionSkewAndEqualStringsGiveNothing() {
        let o = Self.seed()
        #expect(o.warnings(forReceived: o.expectedRemoteString).isEmpty)
        let w = o.warnings(forReceived: "V5,dev-type tun")
        #expect(w.first == .versionSkew)
        #expect(w.contains(.inconsistent(option: "version", local: "version V4", remote: "version V5")))
    }

    @Test func peerTextIsSanitizedBeforeAnyLogLine() {
        // A reply that would forge a journal line and recolour a terminal.
        let evil = "V4,dev-type tun\n<3>swvpnd: peer up,cipher \u{1b}[31mAES\\x\u{7f}\u{85},tun-mtu 1500\u{0}"
        let message = OCCMessage.reply(evil)
        #expect(
            message.sanitizedReplyText
                == "V4,dev-type tun\\x0a<3>swvpnd: peer up,cipher \\x1b[31mAES\\\\x\\x7f\\x85,tun-mtu 1500\\x00")
        #expect(OCCMessage.request.sanitizedReplyText == nil)
        for warning in Self.seed().warnings(forReceived: evil) {
            #expect(
                !warning.description.unicodeScalars.contains { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) },
                "\(warning.description.debugDescription)")
        }
        // Printable UTF-8 stays readable; very long text is cut.
        #expect(OCCMessage.sanitized("tun-mtu 1500 é✓") == "tun-mtu 1500 é✓")
        #expect(OCCMessage.sanitized(String(repeating: "a", count: 5000)).count == OCCMessage.maxLoggedLength + 3)
    }

    // MARK: Message codec

    @Test func decodesEveryOpcodeAndSwallowsUnknownOnes() {
        let magic = WireFormat.occMagic
        #expect(OCCMessage.decode(magic + [0]) == .request)
        #expect(OCCMessage.decode(magic + [1] + Array("abc".utf8) + [0]) == .reply("abc"))
        #expect(OCCMessage.decode(magic + [1] + Array("abc".utf8)) == .reply("ab"))  // last byte forced to NUL
        #expect(OCCMessage.decode(magic + [1]) == .reply(""))
        #expect(OCCMessage.decode(magic + [2, 0x05, 0xdc]) == .mtuLoadRequest(size: 1500))
        #expect(OCCMessage.decode(magic + [2, 0x05]) == .unrecognized(opcode: 2))
        #expect(OCCMessage.decode(magic + [3, 9, 9, 9]) == .mtuLoad(length: 3))
        #expect(OCCMessage.decode(magic + [4]) == .mtuRequest)
        #expect(
            OCCMessage.decode(magic + [5, 0x05, 0xdc, 0x05, 0x00])
                == .mtuReply(largestReceived: 1500, largestSent: 1280))
        #expect(OCCMessage.decode(magic + [6]) == .exit)
        #expect(OCCMessage.decode(magic + [7]) == .unrecognized(opcode: 7))
        #expect(OCCMessage.decode(magic) == .unrecognized(opcode: nil))
        #expect(OCCMessage.decode(Array(magic.dropLast()) + [0]) == nil)
        #expect(OCCMessage.decode(WireFormat.pingMagic) == nil)
        for m: OCCMessage in [
            .request, .reply("x,y"), .mtuLoadRequest(size: 7), .mtuLoad(length: 5), .mtuRequest,
            .mtuReply(largestReceived: 1, largestSent: 2), .exit,
        ] {
            #expect(OCCMessage.decode(m.bytes) == m)
        }
    }

    @Test func encodeRefusesBuffersThatAreTooSmall() {
        var small = [UInt8](repeating: 0, count: 17)
        small.withUnsafeMutableBytes { buf in
            #expect(OCCMessage.request.encode(into: buf, at: 0) == 17)
            #expect(OCCMessage.request.encode(into: buf, at: 1) == nil)
            #expect(OCCMessage.reply("a").encode(into: buf, at: 0) == nil)
        }
    }

    @Test func decoderSurvivesTruncatedAndRandomInput() throws {
        let reply = OCCMessage.reply(Self.seed().localString).bytes
        for n in 0...reply.count { _ = OCCMessage.decode(Array(reply[..<n])) }
        var rng = SeededGenerator(seed: 0x0cc)
        for _ in 0..<2000 {
            let n = Int.random(in: 0...40, using: &rng)
            _ = OCCMessage.decode(WireFormat.occMagic + rng.bytes(n))
            _ = OCCMessage.decode(rng.bytes(n))
        }
        _ = OCCMessage.decode(WireFormat.occMagic + [1] + rng.bytes(70_000))
    }
}

extension OCCWarning {
    var option: String? {
        switch self {
        case .versionSkew: nil
        case .inconsistent(let o, _, _), .missingInRemote(let o, _), .missingInLocal(let o, _): o
        }
    }
}
