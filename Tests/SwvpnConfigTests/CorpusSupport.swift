import Foundation
import SwvpnConfig

/// Reads files below one corpus folder, the way the daemon's reader reads below the process cwd.
struct DirectoryFileSystem: ConfigFileSystem {
    let root: URL

    struct Missing: Error, CustomStringConvertible { var description: String { "No such file or directory" } }

    func read(_ path: String) throws -> [UInt8] {
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appendingPathComponent(path)
        guard let data = FileManager.default.contents(atPath: url.path) else { throw Missing() }
        return [UInt8](data)
    }
}

enum Corpus {
    /// Fails loudly (never skips) when the resource folder is missing.
    static func folder(_ name: String) -> URL {
        guard let base = Bundle.module.url(forResource: "Corpus", withExtension: nil) else {
            fatalError("Corpus resource folder missing from the test bundle")
        }
        return base.appendingPathComponent(name)
    }

    static func files(_ folder: String, suffix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Corpus.folder(folder).path)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted()
    }

    static func text(_ folder: String, _ name: String) -> String {
        (try? String(contentsOf: Corpus.folder(folder).appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    static func load(_ folder: String, _ name: String) throws(ConfigError) -> TunnelConfig {
        try TunnelConfig.load(path: name, fileSystem: DirectoryFileSystem(root: Corpus.folder(folder)))
    }
}

func parse(
    _ text: String, source: String = "t.conf",
    files: [String: String] = [:]
) throws(ConfigError) -> TunnelConfig {
    try TunnelConfig.parse(text: text, source: source, fileSystem: InMemoryFileSystem(files))
}

func errorText(_ body: () throws(ConfigError) -> TunnelConfig) -> String? {
    do {
        _ = try body()
        return nil
    } catch {
        return error.description
    }
}
