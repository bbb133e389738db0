public import Middleware
public import LambdaRuntime
public import Secrets

/// The HTTP APIs (participants, intent scoring, the participant export): one `Pipeline` of
///
/// metrics → audit → envelope → origin/CORS → router → request shape → authentication (JWT or API key, by route)
/// → tenant match → role → UTF-8 body → guards (tenant rate limit) → idempotency → the route, in a tenant session.
public enum APIHandler {
    /// Runs a function as a Lambda function. Its routes are made during initialization, once per worker (routes may
    /// hold per-worker state, such as an enrichment provider's connection), from the init context and the shared
    /// secrets. `mode: .streamed` answers as a Function URL stream (`RESPONSE_STREAM`).
    public static func main(
        name: String, mode: Pipeline.ResponseMode = .buffered,
        makeRoutes: @escaping @Sendable (InitContext, FunctionSecrets) throws -> [APIRoute]
    ) -> Never {
        LambdaRuntime.run(shared: FunctionSecrets.forFunction) { secrets, initContext in
            try pipeline(name: name, routes: try makeRoutes(initContext, secrets), settings: try settings(), secrets: secrets, mode: mode)
        }
    }

    /// The HTTP APIs' settings from the environment (their methods and headers for CORS); an invalid setting fails
    /// the initialization.
    public static func settings() throws(InitializationError) -> FunctionConfiguration {
        try .fromEnvironment(allowMethods: "GET,POST,PUT,DELETE", allowHeaders: "Authorization,Content-Type,Idempotency-Key,X-API-Key")
    }

    /// The pipeline of `routes`. Reads the database secret; JWT settings only when a route takes a user, the
    /// idempotency TTL only when a route mutates.
    public static func pipeline(
        name: String, routes: [APIRoute], settings: FunctionConfiguration, secrets: FunctionSecrets, mode: Pipeline.ResponseMode = .buffered
    ) throws(InitializationError) -> Pipeline {
        let database = try InitializationError.database(from: secrets)
        let jwt = routes.contains { $0.authentication == .user } ? try JWTAuthenticator.fromEnvironment(warning: secrets.warning) : nil
        let ttl = routes.contains { $0.mutates } ? try IdempotencyMiddleware.ttlSeconds() : Idempotency.defaultTTLSeconds
        let guards = RequestGuards(tenantLimitPerMinute: settings.tenantRateLimitPerMinute, clientLimitPerMinute: 0)
        return Pipeline(
            [
                MetricsMiddleware(function: name, nameKey: "function", logsPreflight: false, database: database),
                AuditMiddleware(database: database, function: name, action: .methodAndPath),
                EnvelopeMiddleware(failureMessage: "route failure"),
                OriginMiddleware(cors: settings.cors),
                RouterMiddleware(routes: routes),
                RequestShapeMiddleware(method: nil, maxBodyBytes: settings.maxBodyBytes),
                AuthenticationMiddleware(database: database, jwt: jwt),
                TenantMatchMiddleware(settings.tenantMatch),
                AuthorizationMiddleware(),
                UTF8BodyMiddleware(),
                RequestGuardsMiddleware(guards, function: name),
                IdempotencyMiddleware(database: database, ttlSeconds: ttl),
            ],
            responder: RouteResponder(routes: routes, database: database), mode: mode, database: database
        )
    }
}
