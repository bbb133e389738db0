public import Middleware
public import LambdaHTTP
public import Postgres

/// Authenticates an HTTP API caller by the scheme its route names: a bearer JWT (`JWTAuthenticator`; the user's
/// organization is the tenant) or an API key (`APIKeyAuthenticator`; the key's organization). Sets the context's
/// principal and tenant.
public final class AuthenticationMiddleware: RequestMiddleware {
    let database: Database
    /// `nil` when no route takes a user (then no JWT setting is read).
    let jwt: JWTAuthenticator?

    public init(database: Database, jwt: JWTAuthenticator?) {
        self.database = database
        self.jwt = jwt
    }

    public func handle(_ request: HTTPRequest, context: inout RequestContext, next: MiddlewareNext) throws -> HTTPResponse {
        guard let route = context.route else { throw EnvelopeError.toolFailure }
        let deadline = context.deadline.forWork
        let principal: Principal
        switch route.authentication {
        case .user:
            guard let jwt else { throw EnvelopeError.toolFailure }
            principal = .user(try jwt.authenticate(request, database: database, deadline: deadline))
        case .apiKey:
            guard let key = try APIKeyAuthenticator.presentedKey(request) else {
                throw EnvelopeError(.unauthorized, "Missing, invalid or expired token.")
            }
            principal = .apiKey(try APIKeyAuthenticator.authenticate(key, database: database, deadline: deadline))
        }
        context.principal = principal
        context.tenant = principal.tenant
        return try next(request, &context)
    }
}
