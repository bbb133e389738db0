internal import Platform

/// Settings every tool function reads from its environment at init (secrets come from `FunctionSecrets`).
public struct FunctionConfiguration: Sendable {
    /// CORS and security headers (`ALLOWED_ORIGIN`).
    public let cors: CORSPolicy
    /// Largest accepted request body, in bytes (`MAX_BODY_BYTES`, default 256 KiB).
    public let maxBodyBytes: Int
    /// Requests per minute per tenant, across all functions (`RATE_LIMIT_PER_MINUTE`; 0 turns it off): a token
    /// bucket holding that many tokens, refilled at that rate. Defaults: `copilotTenantRateLimitPerMinute` for the
    /// copilot tools, `apiTenantRateLimitPerMinute` for the JSON APIs.
    public let tenantRateLimitPerMinute: Int
    /// Requests per minute per client id (`CLIENT_RATE_LIMIT_PER_MINUTE`, default 0: off).
    public let clientRateLimitPerMinute: Int
    /// Requests of one tenant in flight at once, across instances (`CONCURRENCY_LIMIT`, default 0: off).
    public let concurrencyLimit: Int

    /// The copilot tools' default: every guest shares the tenant `public`, and a page view sends a round of up to
    /// six calls at once (CONTRACTS.md §1). 600 admits 60 guest page views a minute with room to spare (360 calls)
    /// and a burst of 100 rounds, and still caps one tenant at 10 calls a second.
    public static let copilotTenantRateLimitPerMinute = 600
    /// The JSON APIs' default: seed 003's 100 requests a minute per organization.
    public static let apiTenantRateLimitPerMinute = 100

    public init(
        cors: CORSPolicy, maxBodyBytes: Int = 256 * 1024, tenantRateLimitPerMinute: Int = apiTenantRateLimitPerMinute, clientRateLimitPerMinute: Int = 0,
        concurrencyLimit: Int = 0
    ) {
        self.cors = cors
        self.maxBodyBytes = maxBodyBytes
        self.tenantRateLimitPerMinute = tenantRateLimitPerMinute
        self.clientRateLimitPerMinute = clientRateLimitPerMinute
        self.concurrencyLimit = concurrencyLimit
    }

    /// Reads `ALLOWED_ORIGIN`, `MAX_BODY_BYTES`, `RATE_LIMIT_PER_MINUTE`, `CLIENT_RATE_LIMIT_PER_MINUTE` and
    /// `CONCURRENCY_LIMIT`; `tenantRateLimitPerMinute` applies when `RATE_LIMIT_PER_MINUTE` is unset.
    public static func fromEnvironment(
        allowMethods: String = "POST", allowHeaders: String = "Content-Type,X-Signature,X-Timestamp,X-Client",
        tenantRateLimitPerMinute: Int = apiTenantRateLimitPerMinute
    ) -> FunctionConfiguration {
        func number(_ name: String) -> Int? { Platform.environment(name).flatMap { Int($0) }.flatMap { $0 >= 0 ? $0 : nil } }
        var cors = CORSPolicy(allowedOriginSetting: Platform.environment("ALLOWED_ORIGIN"))
        cors = CORSPolicy(allowedOrigins: cors.allowedOrigins, allowMethods: allowMethods, allowHeaders: allowHeaders)
        return FunctionConfiguration(
            cors: cors,
            maxBodyBytes: number("MAX_BODY_BYTES").flatMap { $0 > 0 ? $0 : nil } ?? 256 * 1024,
            tenantRateLimitPerMinute: number("RATE_LIMIT_PER_MINUTE") ?? tenantRateLimitPerMinute,
            clientRateLimitPerMinute: number("CLIENT_RATE_LIMIT_PER_MINUTE") ?? 0,
            concurrencyLimit: number("CONCURRENCY_LIMIT") ?? 0
        )
    }
}
