public import LambdaHTTP
public import Postgres

/// `CONCURRENCY_LIMIT`: at most this many requests of one tenant in flight at once, across instances. A slot is
/// taken in its own committed transaction before the request's statements (`TOO_MANY_CONCURRENT_REQUESTS` when
/// none is free) and given back when the request is done; it expires at the deadline anyway.
public final class ConcurrencyLimitMiddleware: RequestMiddleware {
    let database: Database
    let limit: Int

    public init(database: Database, limit: Int) {
        self.database = database
        self.limit = limit
    }

    public func handle(_ request: HTTPRequest, context: inout RequestContext, next: MiddlewareNext) throws -> HTTPResponse {
        guard limit > 0 else { return try next(request, &context) }
        let tenant = try context.requireTenant()
        try RequestGuards.acquireSlot(database, tenant: tenant, requestID: context.requestID, limit: limit, deadline: context.deadline.forWork)
        defer { RequestGuards.releaseSlot(database, tenant: tenant, requestID: context.requestID, deadline: context.deadline.milliseconds) }
        return try next(request, &context)
    }
}
