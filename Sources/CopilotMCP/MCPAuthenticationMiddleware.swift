public import HTTPAPI
public import LambdaHTTP
public import Middleware
internal import Postgres

/// Who is calling the MCP endpoint: a bearer JWT verified by `JWTAuthenticator` (HS256 secret or JWKS; `aud` must
/// be `JWT_AUDIENCE`, which the function requires), whose `sub` is the tenant — the copilot's owner user id. Without
/// a token, the guest tenant `public` when `MCP_ALLOW_GUESTS=true`, else `401`. The metadata route needs no token
/// and is answered here (RFC 9728).
public final class MCPAuthenticationMiddleware: RequestMiddleware {
    let jwt: JWTAuthenticator
    let resource: ProtectedResource
    let allowGuests: Bool

    public init(jwt: JWTAuthenticator, resource: ProtectedResource, allowGuests: Bool) {
        self.jwt = jwt
        self.resource = resource
        self.allowGuests = allowGuests
    }

    public func handle(_ request: HTTPRequest, context: inout RequestContext, next: MiddlewareNext) throws -> HTTPResponse {
        if request.path == ProtectedResource.metadataPath {
            return HTTPResponse(status: 200, headers: context.responseHeaders, body: .bytes(resource.metadata(for: request)))
        }
        if request.header("authorization") == .absent, allowGuests {
            context.tenant = .publicTenant
            return try next(request, &context)
        }
        let claims = try jwt.verifiedClaims(request, deadline: context.deadline.forWork)
        guard let tenant = TenantID(claims.subject) else { throw EnvelopeError(.unauthorized, "Missing, invalid or expired token.") }
        context.principal = .user(UserPrincipal(subject: claims.subject, organization: tenant))
        context.tenant = tenant
        return try next(request, &context)
    }
}

/// Adds the RFC 9728 challenge to every `401`: `WWW-Authenticate: Bearer resource_metadata="…"`, so an MCP client
/// finds the protected-resource metadata (and from it the authorization server).
public final class MCPChallengeMiddleware: RequestMiddleware {
    let resource: ProtectedResource

    public init(resource: ProtectedResource) { self.resource = resource }

    public func handle(_ request: HTTPRequest, context: inout RequestContext, next: MiddlewareNext) throws -> HTTPResponse {
        var response = try next(request, &context)
        if response.status == 401 { response.headers.append(("WWW-Authenticate", resource.challenge(for: request))) }
        return response
    }
}
