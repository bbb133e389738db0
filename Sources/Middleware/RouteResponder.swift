public import LambdaHTTP
public import Postgres

/// The end of an HTTP API's pipeline: runs the matched route's handler in a session scoped to the caller's tenant,
/// whose first statement carries the request's guards, and renders its answer (the envelope, or its stream).
public final class RouteResponder: Responder {
    let routes: [APIRoute]
    let database: Database

    public init(routes: [APIRoute], database: Database) {
        self.routes = routes
        self.database = database
    }

    public func respond(to request: HTTPRequest, context: inout RequestContext) throws -> HTTPResponse {
        guard let match = context.route, let principal = context.principal else { throw EnvelopeError.toolFailure }
        let route = routes[match.index]
        let deadline = context.deadline.milliseconds
        let sessions = TenantSessions(tenant: principal.tenant, database: database, deadline: deadline)
        let lambda = context.lambda
        let response = try database.withTenant(principal.tenant, deadline: deadline, leading: context.guardStatements) { session in
            try route.handler(
                RouteRequest(
                    request: request, pathParameters: match.parameters, principal: principal, session: session, sessions: sessions,
                    context: lambda
                )
            )
        }
        context.budgetSpentCents = response.budgetSpentCents
        if let stream = response.stream {
            return HTTPResponse(status: response.status, headers: context.responseHeaders, body: .stream(stream))
        }
        return .success(data: response.data, meta: response.meta, status: response.status, headers: context.responseHeaders)
    }
}
