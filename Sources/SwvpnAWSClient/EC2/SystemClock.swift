import Foundation
import SwvpnAWS

/// The wall clock as `UTCTime` (signing and expiry need real time, not a monotonic clock).
public enum SystemClock {
    @Sendable public static func now() -> UTCTime {
        UTCTime(epochSeconds: Int64(Date().timeIntervalSince1970.rounded(.down)))
    }
}
