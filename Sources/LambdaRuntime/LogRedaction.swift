internal import Bytes
public import Logging
internal import Synchronization

/// Decides which logged values are sensitive. Applied by `LambdaLogHandler` to every record, so callers
/// cannot forget it: values under sensitive keys are replaced, and e-mail addresses are masked anywhere.
public enum LogRedaction {
    /// The replacement text for redacted values.
    public static let marker = "[REDACTED]"

    /// Substrings of metadata keys (lowercased) whose values are never logged.
    static let sensitiveKeyParts: [String] = [
        "authorization", "signature", "token", "password", "passwd", "secret", "cookie", "apikey", "api_key",
        "api-key", "credential", "email", "body", "content", "text", "query", "phone", "address", "dsn",
        "database_url", "databaseurl", "connection",
    ]
    /// Whole keys (lowercased) naming a person.
    static let personalKeys: Set<String> = [
        "name", "displayname", "display_name", "fullname", "full_name", "firstname", "first_name", "lastname",
        "last_name", "username", "user_name", "customername", "customer_name",
    ]

    /// `sensitiveKeyParts` as bytes, made once.
    private static let sensitiveNeedles: [[UInt8]] = sensitiveKeyParts.map { Array($0.utf8) }

    /// The verdicts of `isSensitive(key:)` so far: a function logs the same few keys on every line. Bounded, so
    /// keys made from input cannot grow it without limit (past the bound, verdicts are computed every time).
    private static let verdicts = Mutex<[String: Bool]>([:])
    static let maxRememberedKeys = 512

    /// Keys the runtime and the middlewares put on every line, judged harmless here once and for all: compared
    /// before the remembered verdicts, as comparing short strings costs less than hashing them.
    static let everyLineKeys: [String] = [
        "status", "durationUs", "tool", "function", "error.code", "db.roundTrips", "method", "route", "outcome",
    ]

    /// `true` when values under `key` must not be logged. On every log line: each key is judged once.
    public static func isSensitive(key: String) -> Bool {
        for known in everyLineKeys where known == key { return false }
        if let known = verdicts.withLock({ $0[key] }) { return known }
        let verdict = judge(key: key)
        verdicts.withLock { if $0.count < maxRememberedKeys { $0[key] = verdict } }
        return verdict
    }

    static func judge(key: String) -> Bool {
        let lower = key.utf8.map(\.asciiLowercased)
        if personalKeys.contains(String(decoding: lower, as: UTF8.self)) { return true }
        return sensitiveNeedles.contains { lower.containsBytes($0) }
    }

    /// The value to log for `key`: the marker for sensitive keys, otherwise `value` with e-mail addresses masked.
    public static func redact(key: String, value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        if isSensitive(key: key) { return .string(marker) }
        switch value {
        case .string(let s): return .string(scrub(s))
        case .stringConvertible(let c):
            if c is Int || c is UInt64 || c is Double { return value }
            return .string(scrub(c.description))
        case .array(let items): return .array(items.map { redact(key: "", value: $0) })
        case .dictionary(let dict):
            var out: Logger.Metadata = [:]
            for (k, v) in dict { out[k] = redact(key: k, value: v) }
            return .dictionary(out)
        }
    }

    /// `field`'s value to log, as `redact(key:value:)` decides.
    static func redact(_ field: LogField) -> LogField.Value {
        switch field.value {
        case .string(let s): isSensitive(key: field.key) ? .string(marker) : .string(scrub(s))
        case .integer: isSensitive(key: field.key) ? .string(marker) : field.value
        case .metadata(let value): .metadata(redact(key: field.key, value: value))
        }
    }

    /// `text` with every e-mail-like token (`local@domain.tld`, internationalized addresses included) replaced by
    /// the marker. Two addresses that share their middle (`a@b.c@d.e`) become two markers.
    public static func scrub(_ text: String) -> String {
        guard text.utf8.contains(0x40) else { return text }  // fast path: no '@'
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        // `bytes[maskedUpTo..<i]` are the last bytes of `out`; what lies before `maskedUpTo` is in `out` or behind a
        // marker already.
        var maskedUpTo = 0
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x40 {
                var start = i
                while start > 0, isEmailByte(bytes[start - 1]) { start -= 1 }
                var end = i + 1
                while end < bytes.count, isEmailByte(bytes[end]) { end += 1 }
                let domain = bytes[(i + 1)..<end]
                if start < i, domain.contains(0x2E) {
                    // Only the part of the local part still in `out`: an earlier marker may have taken the rest.
                    out.removeLast(i - max(start, maskedUpTo))
                    out.append(contentsOf: marker.utf8)
                    i = end
                    maskedUpTo = end
                    continue
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// ASCII letters, digits and `. - _ + %`, and every byte of a non-ASCII character (RFC 6531 addresses).
    private static func isEmailByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == 0x2E || b == 0x2D || b == 0x5F
            || b == 0x2B || b == 0x25 || b >= 0x80
    }
}
