public import LambdaRuntime
public import Logging
internal import Platform
public import Postgres

/// Everything one request carries through the pipeline, typed: its invocation and deadline, who is calling and for
/// which tenant, the route it matched, the statements that must commit with its first statement, and what its
/// audit row and log line will say. Middlewares fill it in as the request goes; nothing travels as hidden state.
public struct RequestContext {
    /// The invocation (request id, Lambda tenant id, logger).
    public let lambda: LambdaContext
    /// When the invocation must have answered.
    public let deadline: Deadline
    /// `Platform.monotonicNanoseconds()` when the request began.
    public let started: UInt64
    /// Whether the event was an HTTP proxy event at all (`false`: the request is empty and is refused first).
    public let eventIsValid: Bool
    /// Whether this is a CORS preflight, answered by `OriginMiddleware` (neither audited nor counted).
    public var isPreflight = false
    /// The CORS and security headers every answer to this request carries (set by `OriginMiddleware`).
    public var responseHeaders: [(String, String)] = []
    /// A copilot caller verified by its HMAC signature.
    public var client: VerifiedRequest?
    /// An HTTP API caller authenticated by a JWT or an API key.
    public var principal: Principal?
    /// The tenant every statement of the request is scoped to, once known.
    public var tenant: TenantID?
    /// The route the request matched (HTTP APIs).
    public var route: RouteMatch?
    /// The domain's validated request, when a middleware decoded it before the responder runs (the copilot tools'
    /// `CopilotRequest`: its tenant is needed by the guards).
    public var input: (any Sendable)?
    /// Statements that run atomically in front of the request's first statement (replay record, rate-limit
    /// tokens, idempotency reservation): if one refuses, nothing of the request commits.
    public var guardStatements: [(SQL, [PGValue])] = []
    /// The audit row's action (`invoke`, or the method and path).
    public var action: String
    /// The audit row's tool (the function's name), once `AuditMiddleware` has seen the request.
    public var auditTool: String?
    /// What the request's audit row recorded when it committed together with the request's own statements (see
    /// `auditEvent(outcome:status:)`): `AuditMiddleware` then writes a row only if the request ended otherwise.
    public var auditRecorded: AuditRecorded?
    /// How the request ended, when not `ok`: an error code, or `replayed`.
    public var outcome: String?
    /// What the request spent from the organization's enrichment budget, in cents.
    public var budgetSpentCents: Int64 = 0
    /// `Database.roundTrips` when the request began (set by `MetricsMiddleware` when it knows the database).
    public var databaseRoundTripsAtStart: Int?
    /// Extra fields of the request's log line.
    public var logMetadata: Logger.Metadata = .init()  // not `[:]`, made by a costlier call (see `EventMembers.query`)

    public init(lambda: LambdaContext, eventIsValid: Bool, action: String = "") {
        self.lambda = lambda
        deadline = Deadline(milliseconds: lambda.deadlineMilliseconds)
        started = Platform.monotonicNanoseconds()
        self.eventIsValid = eventIsValid
        self.action = action
    }

    /// The invocation's logger (request id and tenant id in every record).
    public var logger: Logger { lambda.logger }
    /// The Lambda request id.
    public var requestID: String { lambda.requestID }

    /// The audit row of this request if it ends with `outcome` and `status` (`nil` without an `AuditMiddleware`).
    public func auditEvent(outcome: String, status: Int) -> AuditEvent? {
        guard let auditTool else { return nil }
        return AuditEvent(
            requestID: requestID, clientID: principal?.auditID ?? client?.clientID, tenant: tenant, tool: auditTool,
            action: action, outcome: outcome, status: status
        )
    }

    /// The decoded request of type `T`, or `TOOL_FAILURE` when the pipeline did not decode one (a wiring mistake).
    public func input<T>(as type: T.Type) throws(EnvelopeError) -> T {
        guard let input = input as? T else { throw EnvelopeError.toolFailure }
        return input
    }

    /// The tenant, or `TOOL_FAILURE` when no middleware established one (a wiring mistake).
    public func requireTenant() throws(EnvelopeError) -> TenantID {
        guard let tenant else { throw EnvelopeError.toolFailure }
        return tenant
    }
}
