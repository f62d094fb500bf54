import CSwvpnLinux
import Glibc

/// Keeps the daemon's resident set near what a running tunnel touches (README "Footprint").
package enum ResidentMemory {
    /// One malloc arena instead of glibc's one per thread that ever allocated (up to 8 per core):
    /// the packet loops do not allocate, so the arenas only held start-up and control-plane leftovers.
    /// Call before any other thread starts.
    package static func useOneMallocArena() {
        _ = swvpn_malloc_arena_max(1)
    }

    /// Drops set-up's pages from the resident set once the tunnel runs, and returns how many bytes
    /// left it (estimated from `/proc/self/smaps`; 0 when it could not be read).
    ///
    /// - Free heap goes back to the kernel (`malloc_trim`).
    /// - Read-only, private, file-backed mappings (the executable's code, libcrypto's, libc's...)
    ///   that hold no copied-on-write page are unmapped from the page tables with `MADV_DONTNEED`:
    ///   the pages stay in the page cache, and whatever the tunnel still runs faults straight back
    ///   in (a minor fault, no disk read). Start-up (argument parsing, config, netlink, provider
    ///   loading) touches far more code than the packet path, and the kernel maps code 64 KB
    ///   around each fault. A mapping with any private page (relocations, a debugger's breakpoint)
    ///   is left alone: dropping those would lose the writes. Locked memory (`mlock`) refuses it.
    @discardableResult
    package static func releaseStartUpPages() -> Int {
        _ = swvpn_malloc_trim()
        guard let smaps = try? PosixFileSystem().read("/proc/self/smaps") else { return 0 }
        var released = 0
        for mapping in Mapping.parse(String(decoding: smaps, as: UTF8.self)) where mapping.isPristineReadOnlyFile {
            guard let start = UnsafeMutableRawPointer(bitPattern: mapping.start) else { continue }
            if madvise(start, mapping.end - mapping.start, MADV_DONTNEED) == 0 { released += mapping.residentKB * 1024 }
        }
        return released
    }

    /// One `/proc/self/smaps` entry: what `releaseStartUpPages` needs to decide.
    package struct Mapping: Equatable {
        package var start = 0
        package var end = 0
        package var permissions = ""
        package var inode = ""
        package var residentKB = 0
        package var anonymousKB = 0

        /// Readable, not writable, private, backed by a file, no private copies.
        package var isPristineReadOnlyFile: Bool {
            let p = Array(permissions.utf8)
            return p.count == 4 && p[0] == UInt8(ascii: "r") && p[1] == UInt8(ascii: "-")
                && p[3] == UInt8(ascii: "p") && inode != "0" && !inode.isEmpty && anonymousKB == 0 && residentKB > 0
        }

        package static func parse(_ text: String) -> [Mapping] {
            var mappings: [Mapping] = []
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard let first = fields.first else { continue }
                if first.hasSuffix(":") {
                    guard !mappings.isEmpty, fields.count >= 2, let kB = Int(fields[1]) else { continue }
                    if first == "Rss:" { mappings[mappings.count - 1].residentKB = kB }
                    if first == "Anonymous:" { mappings[mappings.count - 1].anonymousKB = kB }
                    continue
                }
                let range = first.split(separator: "-")
                guard range.count == 2, fields.count >= 5, let start = Int(range[0], radix: 16),
                    let end = Int(range[1], radix: 16)
                else { continue }
                mappings.append(
                    Mapping(start: start, end: end, permissions: String(fields[1]), inode: String(fields[4])))
            }
            return mappings
        }
    }
}
