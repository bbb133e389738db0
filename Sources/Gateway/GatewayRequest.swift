import Bytes

/// One HTTP request as the gateway received it.
public struct GatewayRequest: Sendable {
    public var method: String
    /// The path as received (still percent-encoded), without the query.
    public var rawPath: String
    /// The query string as received, without `?` (empty when none).
    public var rawQuery: String
    /// Headers in order, names as the client spelled them.
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var sourceIP: String
    /// `HTTP/1.1`.
    public var protocolName: String
    /// The port the request arrived on (`X-Forwarded-Port`).
    public var port: Int

    public init(
        method: String, target: String, headers: [(String, String)], body: [UInt8], sourceIP: String,
        protocolName: String = "HTTP/1.1", port: Int
    ) {
        self.method = method
        if let mark = target.firstIndex(of: "?") {
            rawPath = String(target[..<mark])
            rawQuery = String(target[target.index(after: mark)...])
        } else {
            rawPath = target
            rawQuery = ""
        }
        if rawPath.isEmpty { rawPath = "/" }
        self.headers = headers
        self.body = body
        self.sourceIP = sourceIP
        self.protocolName = protocolName
        self.port = port
    }

    /// All values of a header (case-insensitive name), in order.
    public func values(_ name: String) -> [String] {
        headers.filter { $0.0.caseInsensitiveEquals(name) }.map(\.1)
    }

    /// The first value of a header.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveEquals(name) }?.1
    }

    /// The media type of `Content-Type`, lower-cased, without parameters (`application/json`), or nil.
    public var mediaType: String? {
        guard let value = header("content-type") else { return nil }
        return MediaType.essence(value)
    }

    /// Query parameters in order, percent-decoded (`a=1&a=2&b` → a:1, a:2, b:"").
    public var queryParameters: [(String, String)] {
        guard !rawQuery.isEmpty else { return [] }
        var out: [(String, String)] = []
        for piece in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            if let equals = piece.firstIndex(of: "=") {
                out.append((PercentEncoding.decode(piece[..<equals]), PercentEncoding.decode(piece[piece.index(after: equals)...])))
            } else {
                out.append((PercentEncoding.decode(piece), ""))
            }
        }
        return out
    }

    /// The path's segments as received (empty segments dropped).
    public var rawSegments: [Substring] {
        rawPath.split(separator: "/", omittingEmptySubsequences: true)
    }
}

extension StringProtocol {
    /// ASCII case-insensitive equality (header names).
    func caseInsensitiveEquals(_ other: some StringProtocol) -> Bool {
        let a = self.utf8
        let b = other.utf8
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { lower($0) == lower($1) }
    }

    private func lower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    /// ASCII lower-case.
    var asciiLowercased: String {
        String(decoding: utf8.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }, as: UTF8.self)
    }
}

enum PercentEncoding {
    /// `%XX` sequences decoded (invalid ones kept as they are); the result read as UTF-8 (invalid bytes replaced).
    /// `+` stays `+`: API Gateway does not treat it as a space.
    static func decode(_ text: some StringProtocol) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = Hex.value(ofDigit: bytes[index + 1]), let low = Hex.value(ofDigit: bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

enum MediaType {
    /// `Application/JSON; charset=utf-8` → `application/json`.
    static func essence(_ value: String) -> String {
        let type = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return type.trimmingASCIIWhitespace().asciiLowercased
    }

    /// Whether `type` matches a pattern like `image/png`, `image/*` or `*/*`.
    static func matches(_ type: String, pattern: String) -> Bool {
        let pattern = pattern.trimmingASCIIWhitespace().asciiLowercased
        if pattern == "*/*" { return true }
        if pattern.hasSuffix("/*") {
            return type.hasPrefix(String(pattern.dropLast(1)))
        }
        return type == pattern
    }

    /// Whether an HTTP API or Function URL passes a body of this type as text: `text/*`, `application/json`,
    /// `application/xml` and `application/javascript` are text; everything else, a missing type included, is
    /// base64-encoded (as observed on AWS; the documentation only says "binary").
    static func isTextForHTTPAPI(_ type: String?) -> Bool {
        guard let type else { return false }
        return type.hasPrefix("text/") || ["application/json", "application/xml", "application/javascript"].contains(type)
    }
}

extension StringProtocol {
    func trimmingASCIIWhitespace() -> String {
        let bytes = Array(utf8)
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
