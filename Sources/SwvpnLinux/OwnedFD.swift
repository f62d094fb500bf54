/// A file descriptor with exactly one owner, closed once when that owner drops it. Not copyable:
/// a descriptor moves between owners with `consuming` (an accepted TCP socket into the `TCPLink`),
/// so two owners can never close it twice or use it after the other closed it.
package struct OwnedFD: ~Copyable, Sendable {
    package let raw: Int32

    /// Takes ownership of `raw` (a descriptor nobody else closes).
    package init(_ raw: Int32) {
        precondition(raw >= 0, "OwnedFD: not a descriptor")
        self.raw = raw
    }

    deinit { closeIgnoringErrors(raw) }

    /// Ends ownership without closing: the caller now owns `raw`.
    package consuming func release() -> Int32 {
        let raw = self.raw
        discard self
        return raw
    }
}
