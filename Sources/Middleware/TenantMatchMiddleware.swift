public import LambdaHTTP

/// With `LAMBDA_TENANT_MATCH=required`, refuses a request whose authenticated tenant is not the tenant Lambda runs
/// the invocation for (`TenantMatch`): as soon as the tenant is known, before any statement, so a refusal writes
/// nothing but its audit row.
public final class TenantMatchMiddleware: RequestMiddleware {
    let match: TenantMatch

    public init(_ match: TenantMatch) { self.match = match }

    public func handle(_ request: HTTPRequest, context: inout RequestContext, next: MiddlewareNext) throws -> HTTPResponse {
        try match.check(try context.requireTenant(), context: context.lambda)
        return try next(request, &context)
    }
}
