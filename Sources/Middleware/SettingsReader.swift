internal import Bytes

/// Reads a function's settings from its environment, one rule for every setting: unset or empty is `nil` (the
/// default applies); anything else that is not valid fails the initialization with a message naming the setting and
/// what it must be — never its value, and never a silent fallback to the default.
public struct SettingsReader {
    let environment: (String) -> String?

    public init(_ environment: @escaping (String) -> String?) {
        self.environment = environment
    }

    /// A whole number in `range`, written in ASCII digits only (no sign, no spaces).
    public func integer(_ name: String, in range: ClosedRange<Int64>) throws(InitializationError) -> Int64? {
        guard let text = environment(name), !text.isEmpty else { return nil }
        let digits = text.utf8
        guard digits.count <= 19, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int64(text), range.contains(value) else {
            throw InitializationError("Configuration error: \(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// `integer(_:in:)` as an `Int`.
    public func integer(_ name: String, in range: ClosedRange<Int>) throws(InitializationError) -> Int? {
        try integer(name, in: Int64(range.lowerBound)...Int64(range.upperBound)).map { Int($0) }
    }

    /// Text of at most `maxBytes` bytes without control characters.
    public func text(_ name: String, maxBytes: Int) throws(InitializationError) -> String? {
        guard let text = environment(name), !text.isEmpty else { return nil }
        guard text.utf8.count <= maxBytes, !text.utf8.contains(where: \.isASCIIControl) else {
            throw InitializationError("Configuration error: \(name) must be text of at most \(maxBytes) bytes")
        }
        return text
    }

    /// An `https://` URL, or `http://` to a loopback address (`127.0.0.1`, `[::1]`: local fakes and `make run`; no
    /// name, which a resolver could answer otherwise), without a trailing slash — the rule of `JWT_JWKS_URL` too.
    public func secureURL(_ name: String) throws(InitializationError) -> String? {
        guard let url = try text(name, maxBytes: 2048) else { return nil }
        let loopback = ["http://127.0.0.1", "http://[::1]"].contains { prefix in
            url.hasPrefix(prefix) && (url.utf8.count == prefix.utf8.count || [":", "/"].contains(url.dropFirst(prefix.count).first))
        }
        guard url.hasPrefix("https://") && url.utf8.count > 8 || loopback, !url.contains(" ") else {
            throw InitializationError("Configuration error: \(name) must be an https:// URL (http:// only to 127.0.0.1 or [::1])")
        }
        return url.utf8.last == UInt8(ascii: "/") ? String(url.dropLast()) : url
    }
}
