/// CORS and security headers for every response, from the configured allowlist of exact origins
/// (`ALLOWED_ORIGIN`, comma-separated).
public struct CORSPolicy: Sendable {
    /// Exact origins allowed to call the API.
    public let allowedOrigins: [String]
    /// `Access-Control-Allow-Methods`.
    public let allowMethods: String
    /// `Access-Control-Allow-Headers`.
    public let allowHeaders: String
    /// The headers of a response to each allowed origin, in the order of `allowedOrigins`, then to any other
    /// request: made once, as every response carries them.
    private let headersByOrigin: [[(String, String)]]

    public init(
        allowedOrigins: [String],
        allowMethods: String = "POST",
        allowHeaders: String = "Content-Type,X-Signature,X-Timestamp,X-Client"
    ) {
        self.allowedOrigins = allowedOrigins
        self.allowMethods = allowMethods
        self.allowHeaders = allowHeaders
        headersByOrigin = (allowedOrigins + [allowedOrigins.first ?? "null"]).map {
            Self.headers(allowOrigin: $0, allowMethods: allowMethods, allowHeaders: allowHeaders)
        }
    }

    /// Parses `ALLOWED_ORIGIN` (comma-separated exact origins).
    public init(allowedOriginSetting: String?) {
        let origins = (allowedOriginSetting ?? "").split(separator: ",").map { part -> String in
            let bytes = part.utf8
            let start = bytes.firstIndex { $0 != 0x20 } ?? bytes.endIndex
            let end = bytes.lastIndex { $0 != 0x20 }.map { bytes.index(after: $0) } ?? start
            return start < end ? String(part[start..<end]) : ""
        }.filter { !$0.isEmpty }
        self.init(allowedOrigins: origins)
    }

    /// `true` when a request may come from `origin`: no `Origin` header (server to server), or an allowed one.
    public func admits(origin: String?) -> Bool {
        guard let origin else { return true }
        return allowedOrigins.contains(origin)
    }

    /// Headers for a response to a request from `origin`. `Access-Control-Allow-Origin` is the origin itself when it
    /// is allowed, otherwise the first configured origin (a browser then refuses the response), or `null` when none
    /// is set.
    public func headers(origin: String?) -> [(String, String)] {
        if let origin, let index = allowedOrigins.firstIndex(of: origin) { return headersByOrigin[index] }
        return headersByOrigin[allowedOrigins.count]
    }

    private static func headers(allowOrigin: String, allowMethods: String, allowHeaders: String) -> [(String, String)] {
        [
            ("Access-Control-Allow-Origin", allowOrigin),
            ("Access-Control-Allow-Methods", allowMethods),
            ("Access-Control-Allow-Headers", allowHeaders),
            ("Vary", "Origin"),
            ("Content-Type", "application/json"),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
            ("Permissions-Policy", "geolocation=(), microphone=(), camera=()"),
            ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
            ("Cache-Control", "no-store"),
        ]
    }
}
