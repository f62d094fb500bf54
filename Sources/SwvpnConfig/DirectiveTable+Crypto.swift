import SwvpnProtocol

// MARK: Crypto
extension DirectiveTable {
    static let crypto: [Directive] = [
        Directive("secret", 1...2, "secret file [0|1]", "Pre-shared static key file and optional key direction.") {
            b, inv throws(ConfigError) in
            // Given twice (a `secret` line and a `<secret>` block, say), the later one wins, as in openvpn.
            var direction: KeyDirection?
            if inv[1] != nil {
                direction = try inv.keyDirection(1)
                b.secretDirection = (direction!, inv.location)
            }
            if let block = inv.inline {
                b.keySource = .inline(
                    block,
                    firstLine: ConfigLocation(
                        source: inv.location.source,
                        line: inv.inlineFirstLine))
            } else {
                b.keySource = .file(path: b.resolve(inv.arguments[0]), direction: direction, location: inv.location)
            }
            b.keySourceLocation = inv.location
        },
        Directive("key-direction", 1...1, "key-direction 0|1", "Key direction (needed for an inline <secret>).") {
            b, inv throws(ConfigError) in
            b.keyDirectionOption = (try inv.keyDirection(0), inv.location)
        },
        Directive("cipher", 1...1, "cipher name", "Data channel cipher: a CBC cipher or none (default BF-CBC).") {
            b, inv throws(ConfigError) in
            let name = inv.arguments[0]
            guard let cipher = CipherSpec.named(name) else {
                let upper = name.uppercased()
                if ["GCM", "POLY1305", "CFB", "OFB", "CTR", "CCM", "OCB", "XTS", "ECB"].contains(where: {
                    upper.contains($0)
                }) {
                    throw inv.error("cipher \(upper) is not usable in static-key mode (only CBC ciphers or none)")
                }
                throw inv.error("unknown cipher '\(name)'")
            }
            b.config.cipher = cipher
            if cipher.isNone {
                b.warn(inv.location, inv.name, "cipher none: traffic is not encrypted")
            } else if cipher.blockSize == 8 {
                b.warn(
                    inv.location, inv.name,
                    "\(cipher.name) has a 64-bit block size (SWEET32); OpenVPN 2.7 drops it, use AES-256-CBC")
            }
        },
        Directive("auth", 1...1, "auth digest", "HMAC digest, or none (default SHA1).") {
            b, inv throws(ConfigError) in
            guard let digest = DigestSpec.named(inv.arguments[0]) else {
                throw inv.error("unknown digest '\(inv.arguments[0])'")
            }
            b.config.digest = digest
            if digest.isNone { b.warn(inv.location, inv.name, "auth none: packets are not authenticated") }
        },
        Directive(
            "replay-window", 1...2, "replay-window n [t]",
            "Replay window of n packets (0..65536, default 64) and t seconds (0..600, default 15)."
        ) { b, inv throws(ConfigError) in
            let size = try inv.integer(0, 0...65536, "window size")
            let seconds = inv[1] == nil ? 15 : try inv.integer(1, 0...600, "time window")
            b.config.replay = .window(size: size, seconds: seconds)
        },
        Directive("no-replay", 0...0, "no-replay", "Deprecated: send no packet-id and check nothing.") { b, inv in
            b.config.replay = .disabled
            b.warn(inv.location, inv.name, "deprecated: disables replay protection (removed in OpenVPN 2.7)")
        },
        Directive("replay-persist", 1...1, "replay-persist file", "Keep the replay state in file across restarts.") {
            b, inv in
            b.config.replayPersistPath = b.resolve(inv.arguments[0])
        },
        flag("mute-replay-warnings", "Do not log replayed packets.") { $0.muteReplayWarnings = true },
        Directive("providers", 1...15, "providers name...", "OpenSSL providers to load (e.g. legacy default).") {
            b, inv in
            b.config.providers = inv.arguments
        },
        flag("allow-deprecated-insecure-static-crypto", "Acknowledge static-key mode (required by OpenVPN 2.7).") {
            $0.allowDeprecatedInsecureStaticCrypto = true
        },
        Directive(
            "comp-lzo", 0...1, "comp-lzo [yes|no|adaptive]",
            "Deprecated: LZO framing (0xFA prefix); compresses only with allow-compression yes."
        ) { b, inv throws(ConfigError) in
            if let mode = inv[0], !["yes", "no", "adaptive"].contains(mode) {
                throw inv.error("bad mode '\(mode)' (yes, no or adaptive)")
            }
            b.config.compression = .lzoPrefix
            b.config.compressionAlgorithm = inv[0] == "no" ? nil : .lzo  // bare comp-lzo is adaptive: compresses
            b.config.compressionInOCC = true
            b.warn(inv.location, inv.name, "deprecated: compression framing is kept for compatibility only")
        },
        Directive(
            "compress", 0...1, "compress [stub|stub-v2|lzo|lz4|lz4-v2|migrate]",
            "Deprecated: compression framing; lzo/lz4 compress only with allow-compression yes."
        ) { b, inv throws(ConfigError) in
            b.config.compressionAlgorithm = inv[0] == "lzo" ? .lzo : inv[0]?.hasPrefix("lz4") == true ? .lz4 : nil
            switch inv[0] {
            case nil, "stub", "lz4": b.config.compression = .stubSwap
            case "lzo": b.config.compression = .lzoPrefix
            case "stub-v2", "lz4-v2": b.config.compression = .stubV2
            case "migrate":
                b.config.compression = .none
                b.config.compressionInOCC = false
                return
            case let other?: throw inv.error("bad algorithm '\(other)' (stub, stub-v2, lzo, lz4, lz4-v2, migrate)")
            }
            b.config.compressionInOCC = true
            b.warn(inv.location, inv.name, "deprecated: compression framing is kept for compatibility only")
        },
        Directive(
            "allow-compression", 1...1, "allow-compression yes|no|asym",
            "asym (default) and yes: decompress LZO/LZ4 packets a peer sends; yes: compress our own too."
        ) { b, inv throws(ConfigError) in
            guard ["yes", "no", "asym"].contains(inv.arguments[0]) else {
                throw inv.error("bad value '\(inv.arguments[0])' (yes, no or asym)")
            }
            b.config.allowCompression = inv.arguments[0]
        },
        noEffect(
            "data-ciphers", 1...1, "data-ciphers list", "TLS-mode cipher negotiation (no effect here).",
            "TLS-mode option, no effect in static-key mode"),
        noEffect(
            "data-ciphers-fallback", 1...1, "data-ciphers-fallback cipher",
            "TLS-mode fallback cipher (no effect here).",
            "TLS-mode option, no effect in static-key mode"),
    ]
}
