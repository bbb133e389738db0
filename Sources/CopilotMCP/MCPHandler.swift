internal import HTTPAPI
internal import LambdaRuntime
public import Middleware
public import Secrets

/// The `mcp` function: the copilot tools over MCP (Streamable HTTP, JSON answers), one `Pipeline` of
///
/// metrics → audit → `401` challenge → envelope → origin/CORS → router (`POST /mcp`, `GET
/// /.well-known/oauth-protected-resource`) → request shape → bearer JWT (or guest) and the metadata route → tenant
/// match → concurrency slot → guards (tenant rate limit) → `CopilotMCPResponder`.
///
/// Failures before the JSON-RPC layer (origin, size, content type, token, concurrency) are the envelope every
/// function answers, a `401` with the RFC 9728 challenge; JSON-RPC and tool failures are MCP's.
public enum MCPHandler {
    /// Runs the function. `routes` is the router's table (its handlers are never called: the responder answers).
    public static func main(name: String, routes: @escaping @Sendable () -> [APIRoute]) -> Never {
        LambdaRuntime.run(shared: FunctionSecrets.forFunction) { secrets, _ in
            try pipeline(name: name, routes: routes(), settings: try settings(), mcp: try MCPSettings.fromEnvironment(), secrets: secrets)
        }
    }

    /// CORS for the MCP client headers and the metadata `GET`; the copilot tools' default tenant rate limit (the
    /// tenants are theirs).
    public static func settings() throws(InitializationError) -> FunctionConfiguration {
        try .fromEnvironment(
            allowMethods: "GET,POST", allowHeaders: "Authorization,Content-Type,Accept,Mcp-Protocol-Version,Mcp-Method,Mcp-Name",
            tenantRateLimitPerMinute: FunctionConfiguration.copilotTenantRateLimitPerMinute
        )
    }

    public static func pipeline(
        name: String, routes: [APIRoute], settings: FunctionConfiguration, mcp: MCPSettings, secrets: FunctionSecrets
    ) throws(InitializationError) -> Pipeline {
        let database = try InitializationError.database(from: secrets)
        let jwt = try JWTAuthenticator.fromEnvironment(warning: secrets.warning)
        guard jwt.verifier.audience != nil else {
            throw InitializationError("Configuration error: JWT_AUDIENCE is required for the MCP endpoint (its tokens must name it)")
        }
        let resource = ProtectedResource(settings: mcp)
        let guards = RequestGuards(tenantLimitPerMinute: settings.tenantRateLimitPerMinute, clientLimitPerMinute: 0)
        return Pipeline(
            [
                MetricsMiddleware(function: name, nameKey: "function", logsPreflight: false),
                AuditMiddleware(database: database, function: name, action: .methodAndPath),
                MCPChallengeMiddleware(resource: resource),
                EnvelopeMiddleware(failureMessage: "mcp failure"),
                OriginMiddleware(cors: settings.cors),
                RouterMiddleware(routes: routes),
                RequestShapeMiddleware(method: nil, maxBodyBytes: settings.maxBodyBytes),
                MCPAuthenticationMiddleware(jwt: jwt, resource: resource, allowGuests: mcp.allowGuests),
                TenantMatchMiddleware(settings.tenantMatch),
                ConcurrencyLimitMiddleware(database: database, limit: settings.concurrencyLimit),
                RequestGuardsMiddleware(guards, function: name),
            ],
            responder: CopilotMCPResponder(tools: try CopilotMCPTool.all(), database: database, toolCallsPerMinute: mcp.toolCallsPerMinute),
            database: database
        )
    }
}
