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
    /// Whether a request's authenticated tenant must be the tenant Lambda runs the invocation for
    /// (`LAMBDA_TENANT_MATCH`, default `off`; see `TenantMatch` and docs/TENANCY.md).
    public let tenantMatch: TenantMatch

    /// The copilot tools' default: every guest shares the tenant `public`, and a page view sends a round of up to
    /// six calls at once (CONTRACTS.md §1). 600 admits 60 guest page views a minute with room to spare (360 calls)
    /// and a burst of 100 rounds, and still caps one tenant at 10 calls a second.
    public static let copilotTenantRateLimitPerMinute = 600
    /// The JSON APIs' default: seed 003's 100 requests a minute per organization.
    public static let apiTenantRateLimitPerMinute = 100

    public init(
        cors: CORSPolicy, maxBodyBytes: Int = 256 * 1024, tenantRateLimitPerMinute: Int = apiTenantRateLimitPerMinute, clientRateLimitPerMinute: Int = 0,
        concurrencyLimit: Int = 0, tenantMatch: TenantMatch = .off
    ) {
        self.cors = cors
        self.maxBodyBytes = maxBodyBytes
        self.tenantRateLimitPerMinute = tenantRateLimitPerMinute
        self.clientRateLimitPerMinute = clientRateLimitPerMinute
        self.concurrencyLimit = concurrencyLimit
        self.tenantMatch = tenantMatch
    }

    /// Reads `ALLOWED_ORIGIN`, `MAX_BODY_BYTES`, `RATE_LIMIT_PER_MINUTE`, `CLIENT_RATE_LIMIT_PER_MINUTE`,
    /// `CONCURRENCY_LIMIT` and `LAMBDA_TENANT_MATCH`; `tenantRateLimitPerMinute` applies when `RATE_LIMIT_PER_MINUTE`
    /// is unset. Any invalid value fails the initialization (never a silent default).
    public static func fromEnvironment(
        allowMethods: String = "POST", allowHeaders: String = "Content-Type,X-Signature,X-Timestamp,X-Client",
        tenantRateLimitPerMinute: Int = apiTenantRateLimitPerMinute
    ) throws(InitializationError) -> FunctionConfiguration {
        try fromEnvironment(
            Platform.environment, allowMethods: allowMethods, allowHeaders: allowHeaders, tenantRateLimitPerMinute: tenantRateLimitPerMinute
        )
    }

    /// `fromEnvironment(allowMethods:allowHeaders:tenantRateLimitPerMinute:)` with the variables of `environment`.
    static func fromEnvironment(
        _ environment: (String) -> String?, allowMethods: String, allowHeaders: String, tenantRateLimitPerMinute: Int
    ) throws(InitializationError) -> FunctionConfiguration {
        /// The setting as a whole number of at least `minimum`; unset or empty is `nil` (the default applies), and
        /// anything else fails the initialization naming the setting, never its value.
        func number(_ name: String, minimum: Int = 0) throws(InitializationError) -> Int? {
            guard let text = environment(name), !text.isEmpty else { return nil }
            guard let value = Int(text), value >= minimum else {
                throw InitializationError("Configuration error: \(name) must be a whole number of at least \(minimum)")
            }
            return value
        }
        let tenantMatch = try TenantMatch.fromEnvironment(environment)
        var cors = CORSPolicy(allowedOriginSetting: environment("ALLOWED_ORIGIN"))
        cors = CORSPolicy(allowedOrigins: cors.allowedOrigins, allowMethods: allowMethods, allowHeaders: allowHeaders)
        return FunctionConfiguration(
            cors: cors,
            maxBodyBytes: try number("MAX_BODY_BYTES", minimum: 1) ?? 256 * 1024,
            tenantRateLimitPerMinute: try number("RATE_LIMIT_PER_MINUTE") ?? tenantRateLimitPerMinute,
            clientRateLimitPerMinute: try number("CLIENT_RATE_LIMIT_PER_MINUTE") ?? 0,
            concurrencyLimit: try number("CONCURRENCY_LIMIT") ?? 0,
            tenantMatch: tenantMatch
        )
    }
}
