public import LambdaRuntime
public import Middleware
public import Postgres
public import Secrets
public import WardenJSON

/// One copilot tool's business logic. Everything else — authentication, validation, CORS, the envelope, error
/// mapping, logging, audit — is the shared pipeline that ``main(_:)`` builds.
public protocol CopilotTool: Sendable {
    /// The tool's name, as in its route `POST /{name}`.
    static var name: String { get }
    /// Produces the envelope's `data` for a validated request, reading only through the tenant's session.
    /// Throw `EnvelopeError` for caller-visible outcomes such as `MISSING_DATA`.
    func run(_ request: CopilotRequest, session: TenantSession, context: LambdaContext) throws -> JSON

    /// How the call's audit row is written together with the tool's own statement, in its transaction: one
    /// statement appending the row, which records whichever of the outcomes the tool can still answer once that
    /// statement committed is the real one. `event` says `ok` and 200; the default appends that.
    func auditPlan(_ event: AuditEvent, request: CopilotRequest) -> AuditPlan
}

extension CopilotTool {
    public func auditPlan(_ event: AuditEvent, request: CopilotRequest) -> AuditPlan {
        AuditPlan(outcomes: [AuditRecorded(outcome: event.outcome, status: event.status)], statement: event.appendStatement)
    }
}

extension CopilotTool {
    /// Runs this tool as a Lambda function: reads configuration, then serves invocations forever.
    public static func main(_ tool: Self) -> Never {
        LambdaRuntime.run(shared: FunctionSecrets.forFunction) { secrets, _ in
            try pipeline(tool, settings: try settings(), secrets: secrets)
        }
    }

    /// The copilot tools' settings from the environment: CORS for `POST` with the signing headers, and their
    /// default tenant rate limit.
    public static func settings() throws(InitializationError) -> FunctionConfiguration {
        try .fromEnvironment(tenantRateLimitPerMinute: FunctionConfiguration.copilotTenantRateLimitPerMinute)
    }

    /// The tool's pipeline:
    ///
    /// metrics → audit → envelope → origin/CORS (and the preflight) → `POST`, body size and content type → HMAC
    /// signature → `CopilotRequest` (the tenant) → tenant match → concurrency slot → guards (replay record, rate
    /// limits) → the tool, in a tenant session.
    public static func pipeline(_ tool: Self, settings: FunctionConfiguration, secrets: FunctionSecrets) throws(InitializationError) -> Pipeline {
        let authentication = try HMACAuthenticationMiddleware(secrets: secrets)
        let database = try InitializationError.database(from: secrets)
        let guards = RequestGuards(
            tenantLimitPerMinute: settings.tenantRateLimitPerMinute, clientLimitPerMinute: settings.clientRateLimitPerMinute
        )
        return Pipeline(
            [
                MetricsMiddleware(function: name, nameKey: "tool", logsPreflight: true, database: database),
                AuditMiddleware(database: database, function: name, action: .fixed("invoke")),
                EnvelopeMiddleware(failureMessage: "tool failure"),
                OriginMiddleware(cors: settings.cors),
                RequestShapeMiddleware(method: "POST", maxBodyBytes: settings.maxBodyBytes),
                authentication,
                CopilotRequestMiddleware(),
                TenantMatchMiddleware(settings.tenantMatch),
                ConcurrencyLimitMiddleware(database: database, limit: settings.concurrencyLimit),
                RequestGuardsMiddleware(guards, function: name),
            ],
            responder: CopilotToolResponder(tool, database: database), database: database
        )
    }
}
