import Bytes
import Foundation

/// Identifiers and timestamps in the formats Lambda uses.
enum LambdaIdentifiers {
    /// A request id: a lowercase random UUID.
    static func requestID() -> String {
        UUID().uuidString.lowercased()
    }

    /// A fresh X-Ray trace header: `Root=1-<epoch s hex>-<24 hex>;Parent=<16 hex>;Sampled=0;Lineage=1:<8 hex>:0`.
    static func traceID(now: Date = Date()) -> String {
        let seconds = String(UInt32(truncatingIfNeeded: Int64(now.timeIntervalSince1970)), radix: 16)
        let epoch = String(repeating: "0", count: max(0, 8 - seconds.count)) + seconds
        return "Root=1-\(epoch)-\(randomHex(bytes: 12));Parent=\(randomHex(bytes: 8));Sampled=0;Lineage=1:\(randomHex(bytes: 4)):0"
    }

    /// A log stream name as Lambda makes one per execution environment: `yyyy/mm/dd/[$LATEST]<32 hex>`.
    static func logStreamName(now: Date = Date()) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: now)
        let year = parts.year ?? 1970, month = parts.month ?? 1, day = parts.day ?? 1
        return "\(year)/\(twoDigits(month))/\(twoDigits(day))/[$LATEST]\(randomHex(bytes: 16))"
    }

    /// The all-zero account id local tools use.
    static let accountID = "000000000000"

    /// The function ARN with the all-zero account id local tools use.
    static func functionARN(region: String, functionName: String) -> String {
        "arn:aws:lambda:\(region):\(accountID):function:\(functionName)"
    }

    /// `2024-05-06T07:08:09.123Z`.
    static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Milliseconds since the Unix epoch.
    static func epochMilliseconds(_ date: Date = Date()) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// Lowercase hex of `bytes` random bytes.
    static func randomHex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Hex.encode(bytes)
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
