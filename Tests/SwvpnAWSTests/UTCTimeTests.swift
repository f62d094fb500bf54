import Foundation
import SwvpnAWS
import Testing

struct UTCTimeTests {
    @Test func knownInstants() {
        #expect(UTCTime(epochSeconds: 0).amzDate == "19700101T000000Z")
        #expect(UTCTime(epochSeconds: 1_709_251_199).iso8601 == "2024-02-29T23:59:59Z")
        #expect(UTCTime(epochSeconds: -1).iso8601 == "1969-12-31T23:59:59Z")
        #expect(UTCTime(epochSeconds: 951_782_400).dateStamp == "20000229")
    }

    /// Agrees with Foundation's calendar over a wide spread of instants.
    @Test func matchesFoundation() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let http = DateFormatter()
        http.locale = formatter.locale
        http.timeZone = formatter.timeZone
        http.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var t: Int64 = -2_208_988_800  // 1900
        while t < 7_258_118_400 {  // 2200
            let date = Date(timeIntervalSince1970: TimeInterval(t))
            let ours = UTCTime(epochSeconds: t)
            #expect(ours.amzDate == formatter.string(from: date))
            #expect(UTCTime(httpDate: http.string(from: date)) == ours)
            #expect(UTCTime(iso8601: ours.iso8601) == ours)
            t += 7_777_777
        }
    }

    @Test func parsing() {
        #expect(UTCTime(iso8601: "2026-11-30T20:13:04Z")?.epochSeconds == 1_796_069_584)
        #expect(UTCTime(iso8601: "2026-11-30T20:13:04.123456Z")?.epochSeconds == 1_796_069_584)
        #expect(UTCTime(iso8601: "2026-11-30T20:13:04+00:00")?.epochSeconds == 1_796_069_584)
        #expect(UTCTime(httpDate: "Mon, 30 Nov 2026 20:13:04 GMT")?.epochSeconds == 1_796_069_584)
        for bad in ["", "2026-11-30", "2026-13-30T20:13:04Z", "2026-11-30T20:13:04+02:00", "x026-11-30T20:13:04Z"] {
            #expect(UTCTime(iso8601: bad) == nil, "\(bad)")
        }
        for bad in ["", "Mon, 30 Nov 2026 20:13:04", "Mon, 30 Foo 2026 20:13:04 GMT", "Mon, 30 Nov 2026 20:13 GMT"] {
            #expect(UTCTime(httpDate: bad) == nil, "\(bad)")
        }
    }
}

struct RetryPolicyTests {
    let throttled = AWSError(kind: .throttled, code: "RequestLimitExceeded", message: "", httpStatus: 503, action: "X")
    let notFound = AWSError(
        kind: .client, code: "InvalidRouteTableID.NotFound", message: "", httpStatus: 400, action: "X")

    @Test func exponentialWithJitterAndCap() {
        let p = RetryPolicy(maxAttempts: 6)
        #expect(p.delayMilliseconds(after: 1, error: throttled, unit: 0) == 100)
        #expect(p.delayMilliseconds(after: 1, error: throttled, unit: 0.999_999) == 199)
        #expect(p.delayMilliseconds(after: 2, error: throttled, unit: 1) == 400)
        #expect(p.delayMilliseconds(after: 4, error: throttled, unit: 1) == 1600)
        #expect(p.delayMilliseconds(after: 5, error: throttled, unit: 1) == 1600)
        #expect(p.delayMilliseconds(after: 6, error: throttled, unit: 1) == nil)
    }

    @Test func defaultIsThreeTriesAndNeverRetriesClientErrors() {
        let p = RetryPolicy()
        #expect(p.delayMilliseconds(after: 2, error: throttled, unit: 0.5) != nil)
        #expect(p.delayMilliseconds(after: 3, error: throttled, unit: 0.5) == nil)
        #expect(p.delayMilliseconds(after: 1, error: notFound, unit: 0.5) == nil)
    }

    @Test func classification() {
        #expect(AWSError.Kind(code: "RequestLimitExceeded", httpStatus: 503) == .throttled)
        #expect(AWSError.Kind(code: "Unavailable", httpStatus: 503) == .server)
        #expect(AWSError.Kind(code: "InternalError", httpStatus: 500) == .server)
        #expect(AWSError.Kind(code: "AuthFailure", httpStatus: 401) == .credentials)
        #expect(AWSError.Kind(code: "InvalidParameterValue", httpStatus: 400) == .client)
        #expect(AWSError.Kind(code: "UnauthorizedOperation", httpStatus: 403) == .client)
    }
}
