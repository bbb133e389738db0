public import LambdaHTTP

/// A route that names a role (`.apiKey(role:)`) admits only keys holding it: `403` otherwise. Placed after the
/// tenant check, so a key of another tenant learns nothing about its roles here.
public final class AuthorizationMiddleware: RequestMiddleware {
    public init() {}

    public func handle(_ request: HTTPRequest, context: inout RequestContext, next: MiddlewareNext) throws -> HTTPResponse {
        if case .apiKey(let role)? = context.route?.authentication, case .apiKey(let key)? = context.principal, !key.roles.contains(role) {
            throw EnvelopeError(.forbidden, "This key may not use this route.")
        }
        return try next(request, &context)
    }
}
