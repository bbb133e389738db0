internal import Platform

/// Settings every tool function reads from its environment at init (no network at init).
public struct FunctionConfiguration: Sendable {
    /// The HMAC secret for scheme v1 (`HMAC_SECRET`).
    public let hmacSecret: [UInt8]
    /// `DATABASE_URL`.
    public let databaseURL: String
    /// CORS and security headers.
    public let cors: CORSPolicy
    /// Largest accepted request body, in bytes (`MAX_BODY_BYTES`, default 256 KiB).
    public let maxBodyBytes: Int

    /// A configuration error. Its message names the missing setting, never a value.
    public struct Missing: Error, CustomStringConvertible, Sendable {
        public let setting: String
        public var description: String { "required setting \(setting) is not configured" }
    }

    public init(hmacSecret: [UInt8], databaseURL: String, cors: CORSPolicy, maxBodyBytes: Int = 256 * 1024) {
        self.hmacSecret = hmacSecret
        self.databaseURL = databaseURL
        self.cors = cors
        self.maxBodyBytes = maxBodyBytes
    }

    /// Reads `HMAC_SECRET`, `DATABASE_URL`, `ALLOWED_ORIGIN` and `MAX_BODY_BYTES`.
    public static func fromEnvironment() throws(Missing) -> FunctionConfiguration {
        guard let secret = Platform.environment("HMAC_SECRET"), !secret.isEmpty else { throw Missing(setting: "HMAC_SECRET") }
        guard let url = Platform.environment("DATABASE_URL"), !url.isEmpty else { throw Missing(setting: "DATABASE_URL") }
        let maxBody = Platform.environment("MAX_BODY_BYTES").flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
        return FunctionConfiguration(
            hmacSecret: Array(secret.utf8),
            databaseURL: url,
            cors: CORSPolicy(allowedOriginSetting: Platform.environment("ALLOWED_ORIGIN")),
            maxBodyBytes: maxBody ?? 256 * 1024
        )
    }
}
