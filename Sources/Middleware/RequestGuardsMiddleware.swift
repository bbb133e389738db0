internal import Platform
public import LambdaHTTP
internal import Postgres

/// The replay record (HMAC callers) and the rate-limit tokens (tenant, and per client when set), as statements that
/// run atomically in front of the request's first statement (`RequestContext.guardStatements`): no extra round
/// trip, and when one refuses (`401` replay, `429` rate limit) nothing of the request commits.
public final class RequestGuardsMiddleware: RequestMiddleware {
    let guards: RequestGuards
    let function: String
    private var invocations = 0

    public init(_ guards: RequestGuards, function: String) {
        self.guards = guards
        self.function = function
    }

    public func handle(_ request: HTTPRequest, context: inout RequestContext, next: MiddlewareNext) throws -> HTTPResponse {
        let tenant = try context.requireTenant()
        invocations &+= 1
        let checks: [(SQL, [PGValue])]
        if let client = context.client {
            checks = guards.statements(for: client, function: function, tenant: tenant, sweep: invocations % 256 == 0)
        } else {
            checks = guards.rateLimitStatements(tenant: tenant)
        }
        // The first statements of the request: a failure's `statementIndex` below `checks.count` is one of these.
        context.guardStatements = checks + context.guardStatements
        do {
            return try next(request, &context)
        } catch let error as PostgresError {
            throw RequestGuards.envelopeError(for: error, guardCount: checks.count, nowMilliseconds: Platform.nowMilliseconds()) ?? error
        }
    }
}
