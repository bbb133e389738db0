public import LambdaRuntime
internal import Logging
internal import Platform
internal import Postgres
public import Secrets
internal import WardenJSON

/// The shared chain for the HTTP APIs (participants, intent scoring), as a byte handler: event → CORS → route →
/// body limit and content type → authentication (JWT or API key, role checked per route) → body is UTF-8 text
/// (`APIGatewayRequest.requireUTF8Body`) → tenant rate limit →
/// route handler in a tenant session → `{ok, data, error, meta}` envelope, with an audit row and a log line.
/// `StreamingAPIHandler` is the same chain for routes that answer with a stream.
public struct APIHandler: ByteHandler {
    let chain: APIChain
    let routes: [APIRoute]

    /// Builds the chain; JWT settings are read only when a route needs them.
    public init(name: String, routes: [APIRoute], configuration: FunctionConfiguration, secrets: FunctionSecrets) throws(InitializationError) {
        chain = try APIChain(name: name, routes: routes, configuration: configuration, secrets: secrets)
        self.routes = routes
    }

    /// Runs a function as a Lambda function. Its routes are made during initialization, once per worker (routes may
    /// hold per-worker state, such as an enrichment provider's connection), from the init context and the worker's
    /// secrets.
    public static func main(name: String, makeRoutes: @escaping @Sendable (InitContext, FunctionSecrets) throws -> [APIRoute]) -> Never {
        LambdaRuntime.run(shared: FunctionSecrets.forFunction) { secrets, initContext in
            try APIHandler(
                name: name, routes: try makeRoutes(initContext, secrets), configuration: APIChain.configuration(), secrets: secrets
            )
        }
    }

    public mutating func handle(_ event: [UInt8], context: LambdaContext) throws -> [UInt8] {
        let started = Platform.monotonicNanoseconds()
        var audit = chain.audit(context)
        let request: APIGatewayRequest, headers: [(String, String)]
        switch chain.open(event, audit: &audit) {
        case .preflight(let h):
            return ProxyResponse.empty(status: 204, headers: h)
        case .refused(let error, let h):
            chain.record(error, &audit, context, started)
            return ProxyResponse.failure(error, headers: h)
        case .request(let r, let h):
            (request, headers) = (r, h)
        }
        do {
            let (route, parameters, principal) = try chain.admit(request, routes: routes, context: context, audit: &audit)
            if route.mutates, let key = try Idempotency.key(request) {
                let answer = try chain.idempotent(
                    key: key, request: request, principal: principal, context: context, headers: headers, atomic: route.atomic
                ) { session in
                    try route.handler(RouteRequest(request: request, pathParameters: parameters, principal: principal, session: session, context: context))
                }
                if answer.replayed { audit.outcome = Idempotency.replayedOutcome }
                audit.status = answer.status
                chain.record(
                    &audit, context, started, metadata: ["idempotency": .string(answer.outcome)], budgetSpentCents: answer.budgetSpentCents
                )
                return ProxyResponse.render(status: answer.status, headers: answer.headers, body: answer.body)
            }
            let response = try chain.guarded(principal, context: context) { session in
                try route.handler(RouteRequest(request: request, pathParameters: parameters, principal: principal, session: session, context: context))
            }
            audit.status = response.status
            chain.record(&audit, context, started, budgetSpentCents: response.budgetSpentCents)
            return ProxyResponse.success(data: response.data, meta: response.meta, status: response.status, headers: headers)
        } catch {
            let envelope = chain.envelope(for: error, context: context)
            chain.record(envelope, &audit, context, started)
            return ProxyResponse.failure(envelope, headers: headers)
        }
    }
}

/// The steps both HTTP chains share (`APIHandler`, `StreamingAPIHandler`): opening the event (CORS, preflight),
/// admitting the call (route, body limit, content type, authentication, UTF-8 body), running the route's first
/// statements behind the tenant's token bucket, mapping errors, and the audit row and log line of every call.
struct APIChain {
    let name: String
    let configuration: FunctionConfiguration
    let database: Database
    let jwt: JWTAuthenticator?
    let guards: RequestGuards
    /// How long the answer to a call with an `Idempotency-Key` is kept (`IDEMPOTENCY_TTL_SECONDS`).
    let idempotencyTTLSeconds: Int

    /// Reads the database secret; JWT settings only when a route needs them, the idempotency TTL only when a route
    /// mutates.
    init(name: String, routes: [some RoutePattern], configuration: FunctionConfiguration, secrets: FunctionSecrets) throws(InitializationError) {
        self.name = name
        self.configuration = configuration
        database = try InitializationError.database(from: secrets)
        jwt = routes.contains { $0.authentication == .user } ? try JWTAuthenticator.fromEnvironment(warning: secrets.warning) : nil
        guards = RequestGuards(tenantLimitPerMinute: configuration.tenantRateLimitPerMinute, clientLimitPerMinute: 0)
        idempotencyTTLSeconds = routes.contains { $0.mutates } ? try Idempotency.ttlSeconds() : Idempotency.defaultTTLSeconds
    }

    /// The HTTP APIs' settings from the environment (their methods and headers for CORS); an invalid setting fails
    /// the initialization.
    static func configuration() throws(InitializationError) -> FunctionConfiguration {
        try .fromEnvironment(allowMethods: "GET,POST,PUT,DELETE", allowHeaders: "Authorization,Content-Type,Idempotency-Key,X-API-Key")
    }

    /// The audit row of a call, filled in as the call proceeds.
    func audit(_ context: LambdaContext) -> AuditEvent {
        AuditEvent(requestID: context.requestID, clientID: nil, tenant: nil, tool: name, action: "", outcome: "ok", status: 200)
    }

    /// How a call begins.
    enum Opening {
        /// The CORS preflight: `204` with these headers (neither audited nor logged, as it reads nothing).
        case preflight([(String, String)])
        /// Refused before routing (not an API event, a foreign origin), with the headers to answer with.
        case refused(EnvelopeError, [(String, String)])
        /// A request to route, and the CORS and security headers of its answer.
        case request(APIGatewayRequest, [(String, String)])
    }

    /// Parses the event and checks its origin against the allowlist.
    func open(_ event: [UInt8], audit: inout AuditEvent) -> Opening {
        let request: APIGatewayRequest
        do {
            request = try APIGatewayRequest(event: event)
        } catch {
            return .refused(error, configuration.cors.headers(origin: nil))
        }
        audit.action = "\(request.method) \(request.path)".prefix(200).description
        let origin = request.header("origin")
        let headers = configuration.cors.headers(origin: origin.value)
        guard origin != .conflict, configuration.cors.admits(origin: origin.value) else {
            return .refused(EnvelopeError(.forbidden, "This origin is not allowed."), headers)
        }
        if request.method == "OPTIONS" { return .preflight(headers) }
        return .request(request, headers)
    }

    /// The route, its path parameters and the authenticated caller; the audit row learns the caller and tenant.
    /// With `LAMBDA_TENANT_MATCH=required` a caller whose tenant is not the invocation's Lambda tenant is refused
    /// (`TenantMatch`) as soon as it is known, before its key's roles are looked at and before any statement. A body
    /// that is not valid UTF-8 (see `APIGatewayRequest.requireUTF8Body`) is refused once the caller is known.
    func admit<Route: RoutePattern>(
        _ request: APIGatewayRequest, routes: [Route], context: LambdaContext, audit: inout AuditEvent
    ) throws -> (Route, [String: String], Principal) {
        let (route, parameters) = try routes.route(for: request)
        if let body = request.body, body.count > configuration.maxBodyBytes {
            throw EnvelopeError(.payloadTooLarge, "The request body is too large.")
        }
        if request.body?.isEmpty == false { try APIGatewayRequest.requireJSONContentType(request.header("content-type")) }
        let deadline = context.deadlineMilliseconds - Database.deadlineReserveMilliseconds
        let principal: Principal
        var requiredRole: String?
        switch route.authentication {
        case .user:
            guard let jwt else { throw EnvelopeError.toolFailure }
            principal = .user(try jwt.authenticate(request, database: database, deadline: deadline))
        case .apiKey(let role):
            guard let key = try APIKeyAuthenticator.presentedKey(request) else {
                throw EnvelopeError(.unauthorized, "Missing, invalid or expired token.")
            }
            principal = .apiKey(try APIKeyAuthenticator.authenticate(key, database: database, deadline: deadline))
            requiredRole = role
        }
        audit.clientID = principal.auditID
        audit.tenant = principal.tenant
        try configuration.tenantMatch.check(principal.tenant, context: context)
        if let requiredRole, case .apiKey(let keyPrincipal) = principal, !keyPrincipal.roles.contains(requiredRole) {
            throw EnvelopeError(.forbidden, "This key may not use this route.")
        }
        // After authentication (an anonymous caller learns nothing about how its body is read), before any of the
        // route's statements: what API Gateway left of invalid UTF-8 never reaches a row.
        try request.requireUTF8Body()
        return (route, parameters, principal)
    }

    /// Runs `body` with a session for the caller's tenant; its first statement carries the tenant's token bucket
    /// (a refusal is `429` and nothing of `body` commits). Without a statement in `body`, the bucket is charged
    /// alone afterwards.
    func guarded<T>(_ principal: Principal, context: LambdaContext, _ body: (TenantSession) throws -> T) throws -> T {
        let checks = guards.rateLimitStatements(tenant: principal.tenant)
        database.prepend(checks)
        defer { database.discardPreamble() }
        do {
            let result = try database.withTenant(principal.tenant, deadline: context.deadlineMilliseconds, body)
            try database.flushPreamble(deadline: context.deadlineMilliseconds - Database.deadlineReserveMilliseconds)
            return result
        } catch let error as PostgresError {
            throw RequestGuards.envelopeError(for: error, guardCount: checks.count, nowMilliseconds: Platform.nowMilliseconds()) ?? error
        }
    }

    /// What the caller sees of `error`; unexpected errors are logged by category (never their text).
    func envelope(for error: any Error, context: LambdaContext) -> EnvelopeError {
        let envelope = EnvelopeError.from(error)
        if envelope.code == .toolFailure { context.logger.error("route failure", metadata: ErrorMetadata.describe(error)) }
        return envelope
    }

    /// Audits and logs a call refused with `error`.
    func record(_ error: EnvelopeError, _ audit: inout AuditEvent, _ context: LambdaContext, _ started: UInt64) {
        audit.outcome = error.code.rawValue
        audit.status = error.code.status
        record(&audit, context, started)
    }

    /// Appends the audit row (a failure to write it is logged, never shown to the caller) and logs the call.
    /// `reserve`: how long before the deadline the row must be written.
    func record(
        _ audit: inout AuditEvent, _ context: LambdaContext, _ started: UInt64,
        reserve: Int64 = Database.deadlineReserveMilliseconds, metadata extra: Logger.Metadata = [:], budgetSpentCents: Int64 = 0
    ) {
        do {
            try database.append(audit, deadline: context.deadlineMilliseconds - reserve)
        } catch {
            context.logger.error("audit write failed", metadata: ErrorMetadata.describe(error))
        }
        var metadata: Logger.Metadata = [
            "function": .string(name), "status": .stringConvertible(audit.status),
            "durationUs": .stringConvertible((Platform.monotonicNanoseconds() &- started) / 1000),
        ]
        if audit.outcome != "ok", audit.outcome != Idempotency.replayedOutcome { metadata["error.code"] = .string(audit.outcome) }
        metadata.merge(extra) { $1 }
        context.logger.info("request", metadata: metadata)
        Metrics.emit(function: name, status: audit.status, outcome: audit.outcome, started: started, budgetSpentCents: budgetSpentCents)
    }
}
