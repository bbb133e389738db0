public import LambdaRuntime
internal import Postgres
internal import Logging
public import Secrets
internal import Platform
internal import WardenJSON

/// The shared middleware chain for copilot tools, as a byte handler:
/// event → CORS preflight → method → body limit → HMAC (first) → validation → tenant match (`LAMBDA_TENANT_MATCH`)
/// → tool → envelope, with one JSON log line per request and every error mapped to the envelope in one place.
public struct CopilotHandler<Tool: CopilotTool>: ByteHandler {
    let tool: Tool
    let configuration: FunctionConfiguration
    let secrets: FunctionSecrets
    var verifier: HMACVerification
    let database: Database
    private var hmacGeneration: Int
    /// Whether `WARDEN_CLIENTS` names the clients and keys (then the HMAC secret is not the key source).
    private let namedClients: Bool
    let guards: RequestGuards
    private var invocations = 0

    /// Reads the secrets now (from the environment, or SSM / Secrets Manager), so a function that cannot
    /// authenticate or reach its database's configuration fails at init with a clear message.
    public init(tool: Tool, configuration: FunctionConfiguration, secrets: FunctionSecrets) throws(InitializationError) {
        var generation = 0
        do {
            if let clients = Platform.environment("WARDEN_CLIENTS"), !clients.isEmpty {
                verifier = HMACVerification(keyring: try ClientKeyring.parse(clients))
                namedClients = true
            } else {
                try secrets.validateConfiguration()
                let current = try secrets.currentHMACSecret()
                verifier = HMACVerification(secret: current.secret)
                generation = current.generation
                namedClients = false
            }
        } catch let error as InitializationError {
            throw error
        } catch let error as SecretsError {
            throw InitializationError("Configuration error: \(error.description)")
        } catch {
            throw InitializationError("Configuration error: the HMAC settings are not valid")
        }
        database = try InitializationError.database(from: secrets)
        self.tool = tool
        self.configuration = configuration
        self.secrets = secrets
        guards = RequestGuards(
            tenantLimitPerMinute: configuration.tenantRateLimitPerMinute, clientLimitPerMinute: configuration.clientRateLimitPerMinute
        )
        hmacGeneration = generation
    }

    /// Picks up a rotated HMAC secret (a cached value past its TTL is refetched, within the invocation's time). A
    /// rotated database secret is followed by the database itself (`InitializationError.database(from:)`).
    private mutating func refreshSecrets(_ context: LambdaContext) throws {
        guard !namedClients else { return }
        let budget = Int(max(1, min(Int64(FunctionSecrets.defaultTimeoutMilliseconds), context.remainingMilliseconds - Database.deadlineReserveMilliseconds)))
        // The value and its generation in one read: another worker may refresh the shared cache in between.
        let current = try secrets.currentHMACSecret(timeoutMilliseconds: budget)
        if current.generation != hmacGeneration {
            verifier = HMACVerification(secret: current.secret)
            hmacGeneration = current.generation
        }
    }

    public mutating func handle(_ event: [UInt8], context: LambdaContext) throws -> [UInt8] {
        let started = Platform.monotonicNanoseconds()
        var audit = AuditEvent(
            requestID: context.requestID, clientID: nil, tenant: nil, tool: Tool.name, action: "invoke",
            outcome: "ok", status: 200
        )
        let request: APIGatewayRequest, headers: [(String, String)]
        switch CopilotChain.open(event, cors: configuration.cors) {
        case .refused(let refused, let h):
            finish(&audit, context, code: refused.code, started: started)
            return ProxyResponse.failure(refused, headers: h)
        case .preflight(let h):
            log(context, status: 204, code: nil, started: started)
            return ProxyResponse.empty(status: 204, headers: h)
        case .request(let r, let h):
            (request, headers) = (r, h)
        }
        do {
            let data = try process(request, context: context, audit: &audit)
            finish(&audit, context, code: nil, started: started)
            return ProxyResponse.success(data: data, headers: headers)
        } catch {
            let envelope = EnvelopeError.from(error)
            if envelope.code == .toolFailure {
                context.logger.error("tool failure", metadata: ErrorMetadata.describe(error))
            }
            finish(&audit, context, code: envelope.code, started: started)
            return ProxyResponse.failure(envelope, headers: headers)
        }
    }

    private mutating func process(_ request: APIGatewayRequest, context: LambdaContext, audit: inout AuditEvent) throws -> JSON {
        try CopilotChain.checkShape(request, maxBodyBytes: configuration.maxBodyBytes)
        try refreshSecrets(context)
        let verified = try verifier.verify(request, nowMilliseconds: Platform.nowMilliseconds())
        audit.clientID = verified.clientID
        let input = try CopilotRequest(body: request.body)
        audit.tenant = input.tenant
        // The signed request's tenant against Lambda's (tenant isolation mode): before the replay record, the rate
        // limit and the concurrency slot, so a refusal writes nothing but its audit row.
        try configuration.tenantMatch.check(input.tenant, context: context)
        invocations &+= 1
        if configuration.concurrencyLimit > 0 {
            let deadline = context.deadlineMilliseconds - Database.deadlineReserveMilliseconds
            try RequestGuards.acquireSlot(database, tenant: input.tenant, requestID: context.requestID, limit: configuration.concurrencyLimit, deadline: deadline)
        }
        defer {
            if configuration.concurrencyLimit > 0 {
                RequestGuards.releaseSlot(database, tenant: input.tenant, requestID: context.requestID, deadline: context.deadlineMilliseconds)
            }
        }
        let checks = guards.statements(for: verified, function: Tool.name, tenant: input.tenant, sweep: invocations % 256 == 0)
        database.prepend(checks)
        defer { database.discardPreamble() }
        do {
            let data = try database.withTenant(input.tenant, deadline: context.deadlineMilliseconds) { session in
                try tool.run(input, session: session, context: context)
            }
            try database.flushPreamble(deadline: context.deadlineMilliseconds - Database.deadlineReserveMilliseconds)
            return data
        } catch let error as PostgresError {
            throw RequestGuards.envelopeError(for: error, guardCount: checks.count, nowMilliseconds: Platform.nowMilliseconds()) ?? error
        }
    }

    /// Records the outcome: the audit row (every call, refused ones included) and the request log line.
    private func finish(_ audit: inout AuditEvent, _ context: LambdaContext, code: ErrorCode?, started: UInt64) {
        audit.outcome = code?.rawValue ?? "ok"
        audit.status = code?.status ?? 200
        do {
            try database.append(audit, deadline: context.deadlineMilliseconds - Database.deadlineReserveMilliseconds)
        } catch {
            context.logger.error("audit write failed", metadata: ErrorMetadata.describe(error))
        }
        log(context, status: audit.status, code: code, started: started)
        Metrics.emit(function: Tool.name, status: audit.status, outcome: audit.outcome, started: started)
    }

    private func log(_ context: LambdaContext, status: Int, code: ErrorCode?, started: UInt64) {
        let micros = (Platform.monotonicNanoseconds() &- started) / 1000
        var metadata: [String: Logger.MetadataValue] = [
            "tool": .string(Tool.name), "status": .stringConvertible(status), "durationUs": .stringConvertible(micros),
        ]
        if let code { metadata["error.code"] = .string(code.rawValue) }
        context.logger.info("request", metadata: metadata)
    }
}
