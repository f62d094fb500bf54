import Glibc
import SwvpnCrypto
import SwvpnProtocol

/// The extra crypto contexts for `workers` threads per direction (`SWVPND_WORKERS`): for each helper
/// thread a sealer and an opener with the tunnel's key and direction, and OpenSSL contexts, HMAC
/// states and an IV DRBG of their own. The packet-id counter and the replay window stay with the
/// loops' own sealer and opener.
package struct CryptoHelpers {
    package let outbound: [OutboundPath]
    package let openers: [DataChannelOpener]

    package static let none = CryptoHelpers(outbound: [], openers: [])

    private init(outbound: [OutboundPath], openers: [DataChannelOpener]) {
        self.outbound = outbound
        self.openers = openers
    }

    /// `workers - 1` helpers (the loop thread is the first worker); none for `workers <= 1`.
    package init(
        workers: Int, key: StaticKey, direction: KeyDirection, settings: PacketPathSettings
    ) throws(CryptoError) {
        var outbound: [OutboundPath] = []
        var openers: [DataChannelOpener] = []
        for _ in 0..<max(workers - 1, 0) {
            let sealer = try DataChannelSealer(key: key, direction: direction, layout: settings.layout)
            outbound.append(OutboundPath(settings: settings, sealer: sealer))
            openers.append(
                try DataChannelOpener(key: key, direction: direction, layout: settings.layout, replay: nil))
        }
        self.init(outbound: outbound, openers: openers)
    }

    /// Crypto workers per direction: `SWVPND_WORKERS` (1...`Tunables.maxWorkers`), else
    /// `Tunables.defaultWorkers`. Anything else is refused with a message naming the variable.
    package static func configuredWorkers() -> Result<Int, WorkersSettingError> {
        guard let raw = getenv("SWVPND_WORKERS") else { return .success(Tunables.defaultWorkers) }
        let text = String(cString: raw)
        guard let n = Int(text), (1...Tunables.maxWorkers).contains(n) else {
            return .failure(WorkersSettingError(value: text))
        }
        return .success(n)
    }
}

package struct WorkersSettingError: Error, CustomStringConvertible {
    let value: String
    package var description: String {
        "SWVPND_WORKERS=\(value): expected a number of crypto workers from 1 to \(Tunables.maxWorkers)"
    }
}
