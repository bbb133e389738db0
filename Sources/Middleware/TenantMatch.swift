public import LambdaRuntime
internal import Logging
internal import Platform
public import Postgres
internal import WardenCrypto

/// `LAMBDA_TENANT_MATCH`: whether a function refuses a request whose authenticated tenant is not the tenant Lambda
/// runs the invocation for — defence in depth for Lambda's tenant isolation mode, where each tenant id gets execution
/// environments of its own (`TenancyConfig: {TenantIsolationMode: PER_TENANT}`; docs/TENANCY.md).
///
/// Lambda's tenant id (`Lambda-Runtime-Aws-Tenant-Id`, `LambdaContext.tenantID`) is whatever the invoker named —
/// with API Gateway, a client's request header mapped to `X-Amz-Tenant-Id` — so it says whose environment this is,
/// not who is calling. The authenticated tenant is what the request proves: the tenant of the signed copilot request
/// (`params.ownerUserId`, or `public`), the organization of the bearer JWT's user, the API key's tenant. With
/// `required`, the two must be the same, or the request is refused before its first statement, so a tenant's
/// environment only ever serves that tenant.
public enum TenantMatch: String, Sendable, Equatable, CaseIterable {
    /// The default: Lambda's tenant id is logged with every record (`tenantId`) and never compared.
    case off
    /// Every authenticated request must arrive with Lambda's tenant id, and it must equal the request's
    /// authenticated tenant; otherwise `403 FORBIDDEN`, audited, and nothing else is written. A function in this
    /// mode that gets no tenant id at all is not in tenant isolation mode (or was invoked around it): it refuses too.
    case required

    /// The environment variable.
    public static let variable = "LAMBDA_TENANT_MATCH"

    /// What the caller sees of every refusal, whatever its reason: no tenant, no environment, no setting named.
    public static let refusal = EnvelopeError(.forbidden, "This request may not be served here.")

    /// Why a request was refused (for the log line; the caller always gets `refusal`).
    public enum Mismatch: String, Sendable, Equatable {
        /// The invocation carried no tenant id although the setting requires one.
        case noLambdaTenant = "no Lambda tenant id"
        /// Lambda's tenant id is not the request's authenticated tenant.
        case differentTenant = "authenticated tenant differs from Lambda's tenant id"
    }

    /// The setting from the process environment: unset or empty is `off`; otherwise exactly `off` or `required`.
    /// Anything else fails the function's initialization — never a silent `off` for a mistyped `require`.
    public static func fromEnvironment() throws(InitializationError) -> TenantMatch {
        try fromEnvironment(Platform.environment)
    }

    /// `fromEnvironment()` with the variables of `environment`.
    static func fromEnvironment(_ environment: (String) -> String?) throws(InitializationError) -> TenantMatch {
        guard let setting = environment(variable), !setting.isEmpty else { return .off }
        guard let match = TenantMatch(rawValue: setting) else {
            throw InitializationError("Configuration error: \(variable) must be off or required")
        }
        return match
    }

    /// Why `authenticated` may not be served in an invocation for `lambdaTenant`, or `nil` when it may.
    ///
    /// Tenant ids are not secrets (a caller names its own in the request that routes it), so a comparison whose
    /// time depends on them would leak little; they are compared with the code base's constant-time helper all the
    /// same (its time depends only on the lengths), so no timing can tell how much of an id matched.
    public func mismatch(authenticated: TenantID, lambdaTenant: String?) -> Mismatch? {
        guard self == .required else { return nil }
        guard let lambdaTenant, !lambdaTenant.isEmpty else { return .noLambdaTenant }
        return Crypto.constantTimeEqual(Array(authenticated.rawValue.utf8), Array(lambdaTenant.utf8)) ? nil : .differentTenant
    }

    /// Refuses (`refusal`, logged with its reason) a request of `authenticated` in an invocation whose Lambda tenant
    /// is not that tenant. Call it as soon as the tenant is authenticated and before any statement of the request.
    public func check(_ authenticated: TenantID, context: LambdaContext) throws(EnvelopeError) {
        guard let reason = mismatch(authenticated: authenticated, lambdaTenant: context.tenantID) else { return }
        // The record carries Lambda's tenant id (`tenantId`) already; the audit row carries the authenticated one.
        context.logger.warning("tenant isolation: request refused", metadata: ["reason": .string(reason.rawValue)])
        throw Self.refusal
    }
}
