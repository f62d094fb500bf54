import SwvpnLinux
import Testing

/// Which mappings `ResidentMemory.releaseStartUpPages` may drop, and that dropping them in a live
/// process (this test runner) is harmless.
struct ResidentMemoryTests {
    static let smaps = """
        55e50d9fc000-55e50e752000 r-xp 00000000 fe:00 5621634                    /usr/sbin/swvpnd
        Rss:                7192 kB
        Anonymous:             0 kB
        55e50e753000-55e50e7ac000 r--p 00d56000 fe:00 5621634                    /usr/sbin/swvpnd
        Rss:                 356 kB
        Anonymous:           356 kB
        55e50e7ac000-55e50e9b2000 rw-p 00daf000 fe:00 5621634                    /usr/sbin/swvpnd
        Rss:                1112 kB
        Anonymous:           148 kB
        7fec45c1e000-7fec45d20000 rw-p 00000000 00:00 0
        Rss:                1032 kB
        Anonymous:          1032 kB
        7fec45e00000-7fec45ec5000 r--p 00000000 fe:00 4907054                    /usr/lib/x86_64-linux-gnu/libcrypto.so.3
        Rss:                 788 kB
        Anonymous:             0 kB
        7ffdf7200000-7ffdf7202000 r-xp 00000000 00:00 0                          [vdso]
        Rss:                   8 kB
        Anonymous:             0 kB
        """

    @Test func onlyReadOnlyFileMappingsWithoutPrivatePagesAreDropped() {
        let mappings = ResidentMemory.Mapping.parse(Self.smaps)
        #expect(mappings.count == 6)
        #expect(mappings[0].start == 0x55e5_0d9f_c000 && mappings[0].residentKB == 7192)
        // Code and a clean read-only segment: yes. Relocated (copied) read-only data, writable
        // data, anonymous memory and the vDSO: no.
        #expect(mappings.map(\.isPristineReadOnlyFile) == [true, false, false, false, true, false])
    }

    @Test func releasingInALiveProcessKeepsItWorking() {
        let released = ResidentMemory.releaseStartUpPages()
        #expect(released > 0, "this test runner's code is mapped from files and was resident")
        // Code whose pages were just dropped runs again (they fault back in from the page cache).
        #expect(ResidentMemory.Mapping.parse(Self.smaps).count == 6)
        #expect(ResidentMemory.releaseStartUpPages() >= 0)
    }
}
