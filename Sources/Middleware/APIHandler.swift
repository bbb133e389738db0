public import LambdaRuntime
internal import Logging
internal import Platform
internal import Postgres
public import Secrets
internal import WardenJSON

/// The shared chain for the HTTP APIs (participants, intent scoring), as a byte handler: event → CORS → route →
/// body limit and content type → authentication (JWT or API key, role checked per route) → tenant rate limit →
/// route handler in a tenant session → `{ok, data, error, meta}` envelope, with an audit row and a log line.
public struct APIHandler: ByteHandler {
    let name: String
    let routes: [APIRoute]
    let configuration: FunctionConfiguration
    let database: Database
    let jwt: JWTAuthenticator?
    let guards: RequestGuards

    /// Builds the chain; JWT settings are read only when a route needs them.
    public init(name: String, routes: [APIRoute], configuration: FunctionConfiguration, secrets: FunctionSecrets) throws(InitializationError) {
        self.name = name
        self.routes = routes
        self.configuration = configuration
        database = try InitializationError.database(from: secrets)
        jwt = routes.contains { $0.authentication == .user } ? try JWTAuthenticator.fromEnvironment() : nil
        guards = RequestGuards(tenantLimitPerMinute: configuration.tenantRateLimitPerMinute, clientLimitPerMinute: 0)
    }

    /// Runs a function made of `routes` as a Lambda function.
    public static func main(name: String, routes: [APIRoute]) -> Never {
        main(name: name) { _, _ in routes }
    }

    /// Runs a function whose routes need per-process state, made once during initialization from the init context
    /// and the function's secrets.
    public static func main(name: String, makeRoutes: (InitContext, FunctionSecrets) throws -> [APIRoute]) -> Never {
        LambdaRuntime.run { initContext in
            let logger = initContext.logger
            let secrets = FunctionSecrets(warning: { logger.warning("\($0)") })
            return try APIHandler(
                name: name, routes: try makeRoutes(initContext, secrets),
                configuration: .fromEnvironment(allowMethods: "GET,POST,PUT,DELETE", allowHeaders: "Authorization,Content-Type,X-API-Key"),
                secrets: secrets
            )
        }
    }

    public mutating func handle(_ event: [UInt8], context: LambdaContext) throws -> [UInt8] {
        let started = Platform.monotonicNanoseconds()
        var audit = AuditEvent(requestID: context.requestID, clientID: nil, tenant: nil, tool: name, action: "", outcome: "ok", status: 200)
        let request: APIGatewayRequest
        do {
            request = try APIGatewayRequest(event: event)
        } catch {
            return finish(.failure(error), &audit, context, started, headers: configuration.cors.headers(origin: nil))
        }
        audit.action = "\(request.method) \(request.path)".prefix(200).description
        let origin = request.header("origin")
        let headers = configuration.cors.headers(origin: origin.value)
        guard origin != .conflict, configuration.cors.admits(origin: origin.value) else {
            return finish(.failure(EnvelopeError(.forbidden, "This origin is not allowed.")), &audit, context, started, headers: headers)
        }
        if request.method == "OPTIONS" { return ProxyResponse.empty(status: 204, headers: headers) }
        do {
            let response = try process(request, context: context, audit: &audit)
            return finish(.success(response), &audit, context, started, headers: headers)
        } catch {
            let envelope = EnvelopeError.from(error)
            if envelope.code == .toolFailure { context.logger.error("route failure", metadata: ErrorMetadata.describe(error)) }
            return finish(.failure(envelope), &audit, context, started, headers: headers)
        }
    }

    private func process(_ request: APIGatewayRequest, context: LambdaContext, audit: inout AuditEvent) throws -> RouteResponse {
        // As API Gateway does, the most specific pattern wins: `/api/participants/enrich` (all literal) hides
        // `/api/participants/{id}` for that path, whatever the method.
        let matches = routes.compactMap { route in route.match(request.path).map { (route, $0) } }
        guard let specificity = matches.map({ $0.0.literalSegments }).max() else { throw EnvelopeError(.notFound, "No such route.") }
        let candidates = matches.filter { $0.0.literalSegments == specificity }
        guard let (route, parameters) = candidates.first(where: { $0.0.method == request.method }) else {
            var methods = ["OPTIONS"]
            for (route, _) in candidates where !methods.contains(route.method) { methods.append(route.method) }
            throw EnvelopeError(.methodNotAllowed, "This method is not supported on this route.", allowedMethods: methods.sorted())
        }
        if let body = request.body, body.count > configuration.maxBodyBytes {
            throw EnvelopeError(.payloadTooLarge, "The request body is too large.")
        }
        if request.body?.isEmpty == false { try APIGatewayRequest.requireJSONContentType(request.header("content-type")) }
        let deadline = context.deadlineMilliseconds - Database.deadlineReserveMilliseconds
        let principal: Principal
        switch route.authentication {
        case .user:
            guard let jwt else { throw EnvelopeError.toolFailure }
            principal = .user(try jwt.authenticate(request, database: database, deadline: deadline))
        case .apiKey(let role):
            guard let key = try APIKeyAuthenticator.presentedKey(request) else {
                throw EnvelopeError(.unauthorized, "Missing, invalid or expired token.")
            }
            let keyPrincipal = try APIKeyAuthenticator.authenticate(key, database: database, deadline: deadline)
            audit.clientID = Principal.apiKey(keyPrincipal).auditID
            audit.tenant = keyPrincipal.tenant
            guard keyPrincipal.roles.contains(role) else { throw EnvelopeError(.forbidden, "This key may not use this route.") }
            principal = .apiKey(keyPrincipal)
        }
        audit.clientID = principal.auditID
        audit.tenant = principal.tenant
        let checks = guards.rateLimitStatements(tenant: principal.tenant)
        database.prepend(checks)
        defer { database.discardPreamble() }
        do {
            let response = try database.withTenant(principal.tenant, deadline: context.deadlineMilliseconds) { session in
                try route.handler(RouteRequest(request: request, pathParameters: parameters, principal: principal, session: session, context: context))
            }
            try database.flushPreamble(deadline: deadline)
            return response
        } catch let error as PostgresError {
            throw RequestGuards.envelopeError(for: error, guardCount: checks.count, nowMilliseconds: Platform.nowMilliseconds()) ?? error
        }
    }

    private enum Outcome {
        case success(RouteResponse)
        case failure(EnvelopeError)
    }

    private func finish(_ outcome: Outcome, _ audit: inout AuditEvent, _ context: LambdaContext, _ started: UInt64, headers: [(String, String)]) -> [UInt8] {
        let bytes: [UInt8]
        switch outcome {
        case .success(let response):
            audit.status = response.status
            bytes = ProxyResponse.success(data: response.data, meta: response.meta, status: response.status, headers: headers)
        case .failure(let error):
            audit.outcome = error.code.rawValue
            audit.status = error.code.status
            bytes = ProxyResponse.failure(error, headers: headers)
        }
        do {
            try database.append(audit, deadline: context.deadlineMilliseconds - Database.deadlineReserveMilliseconds)
        } catch {
            context.logger.error("audit write failed", metadata: ErrorMetadata.describe(error))
        }
        var metadata: Logger.Metadata = [
            "function": .string(name), "status": .stringConvertible(audit.status),
            "durationUs": .stringConvertible((Platform.monotonicNanoseconds() &- started) / 1000),
        ]
        if audit.outcome != "ok" { metadata["error.code"] = .string(audit.outcome) }
        context.logger.info("request", metadata: metadata)
        return bytes
    }
}
