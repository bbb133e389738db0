public import LambdaRuntime
internal import Logging
internal import Platform
public import Postgres
public import Secrets

/// What a streamed route handler gets: as `RouteRequest`, plus a way to open more sessions for the caller's tenant
/// while the stream is being sent.
public struct StreamingRouteRequest {
    public let request: APIGatewayRequest
    public let pathParameters: [String: String]
    public let principal: Principal
    /// The session for the route's first statements. The first one carries the tenant's token bucket, so a refusal
    /// (`429`) or a failure is still answered with a status and an envelope: nothing has been sent yet.
    public let session: TenantSession
    /// Fresh sessions for the same tenant, for the statements the stream runs after the route has returned.
    public let sessions: TenantSessions
    public let context: LambdaContext
}

/// Opens sessions scoped to one tenant, each statement bounded by the invocation's deadline: how a stream reads
/// its next rows (every session binds the tenant as `$1` and sets it for row-level security).
public struct TenantSessions {
    /// The tenant every session is scoped to.
    public let tenant: TenantID
    let database: Database
    let deadline: Int64

    /// Runs `body` with a session for the tenant.
    public func withSession<T>(_ body: (TenantSession) throws -> T) throws -> T {
        try database.withTenant(tenant, deadline: deadline, body)
    }
}

/// A streamed route's answer: its status and its body. The body's `contentType` becomes the response's
/// `Content-Type`; its chunks are sent as they come; an error it throws ends the stream with the error trailers.
public struct StreamingRouteResponse {
    public var status: Int
    public var body: any ResponseStream

    public init(status: Int = 200, body: any ResponseStream) {
        self.status = status
        self.body = body
    }
}

/// A route answered with a stream (a Function URL in `RESPONSE_STREAM` mode): method, path pattern, who may call
/// it, and the handler that starts the stream.
public struct StreamingAPIRoute: RoutePattern {
    public let method: String
    public let pattern: [Substring]
    public let authentication: RouteAuthentication
    public let handler: (StreamingRouteRequest) throws -> StreamingRouteResponse

    public init(
        _ method: String, _ path: String, _ authentication: RouteAuthentication,
        handler: @escaping (StreamingRouteRequest) throws -> StreamingRouteResponse
    ) {
        self.method = method
        self.pattern = path.split(separator: "/")
        self.authentication = authentication
        self.handler = handler
    }
}

/// `APIHandler`'s chain (CORS, routing, body limit, authentication, UTF-8 body, tenant rate limit, error envelope,
/// audit row and log line) for routes whose answer is a Lambda response stream behind a Function URL. Every answer
/// is a stream that begins with the http-integration prelude (status, headers, cookies, then 8 NUL bytes):
///
/// - refusals and failures before the route has produced its stream (`401`, `403`, `404`, `405`, `429`, `500`, …)
///   are the usual `{ok:false,…}` envelope with their status; the preflight is `204` with an empty body;
/// - otherwise the route's status and headers, then its body's chunks as they come. A failure after the first
///   chunk can no longer change the status: it ends the stream with the error trailers, as
///   ``StreamInterrupted`` (which reveals nothing else).
///
/// The audit row of a streamed answer is written when the stream ends (`ok`, or the failure's code).
public struct StreamingAPIHandler: ByteHandler {
    let chain: APIChain
    let routes: [StreamingAPIRoute]

    /// Builds the chain; JWT settings are read only when a route needs them.
    public init(
        name: String, routes: [StreamingAPIRoute], configuration: FunctionConfiguration, secrets: FunctionSecrets
    ) throws(InitializationError) {
        chain = try APIChain(name: name, routes: routes, configuration: configuration, secrets: secrets)
        self.routes = routes
    }

    /// Runs a function as a Lambda function. Its routes are made during initialization, once per worker, from the init
    /// context and the worker's secrets.
    public static func main(name: String, makeRoutes: @escaping @Sendable (InitContext, FunctionSecrets) throws -> [StreamingAPIRoute]) -> Never {
        LambdaRuntime.run(shared: FunctionSecrets.forFunction) { secrets, initContext in
            try StreamingAPIHandler(
                name: name, routes: try makeRoutes(initContext, secrets), configuration: APIChain.configuration(), secrets: secrets
            )
        }
    }

    public mutating func respond(to event: [UInt8], context: LambdaContext) throws -> LambdaResponse {
        .streamed(answer(event, context: context))
    }

    /// The whole stream at once (prelude, NUL bytes, body): what a buffered invocation would carry. The runtime
    /// never calls this; it answers through ``respond(to:context:)``.
    public mutating func handle(_ event: [UInt8], context: LambdaContext) throws -> [UInt8] {
        var stream = answer(event, context: context)
        var bytes: [UInt8] = []
        while let chunk = try stream.next() { bytes += chunk }
        return bytes
    }

    /// The answer to one event, always a prelude'd stream.
    func answer(_ event: [UInt8], context: LambdaContext) -> HTTPIntegrationStream<StreamedBody> {
        let started = Platform.monotonicNanoseconds()
        var audit = chain.audit(context)
        let request: APIGatewayRequest, headers: [(String, String)]
        switch chain.open(event, audit: &audit) {
        case .preflight(let h):
            return Self.fixed(status: 204, headers: h, body: nil)
        case .refused(let error, let h):
            chain.record(error, &audit, context, started)
            return Self.failure(error, headers: h)
        case .request(let r, let h):
            (request, headers) = (r, h)
        }
        do {
            let (route, parameters, principal) = try chain.admit(request, routes: routes, context: context, audit: &audit)
            let sessions = TenantSessions(tenant: principal.tenant, database: chain.database, deadline: context.deadlineMilliseconds)
            let response = try chain.guarded(principal, context: context) { session in
                try route.handler(
                    StreamingRouteRequest(
                        request: request, pathParameters: parameters, principal: principal, session: session, sessions: sessions,
                        context: context
                    )
                )
            }
            audit.status = response.status
            let head = HTTPIntegrationResponse(
                statusCode: response.status, headers: Self.dictionary(headers, contentType: response.body.contentType)
            )
            let body = AuditedStream(body: response.body, chain: chain, audit: audit, context: context, started: started)
            return head.stream(body: .audited(body))
        } catch {
            let envelope = chain.envelope(for: error, context: context)
            chain.record(envelope, &audit, context, started)
            return Self.failure(envelope, headers: headers)
        }
    }

    private static func failure(_ error: EnvelopeError, headers: [(String, String)]) -> HTTPIntegrationStream<StreamedBody> {
        let parts = ProxyResponse.failureParts(error, headers: headers)
        return fixed(status: parts.status, headers: parts.headers, body: parts.body)
    }

    private static func fixed(status: Int, headers: [(String, String)], body: [UInt8]?) -> HTTPIntegrationStream<StreamedBody> {
        HTTPIntegrationResponse(statusCode: status, headers: dictionary(headers, contentType: nil)).stream(body: .fixed(body))
    }

    /// The response headers by name; `contentType` replaces the envelope's `application/json`.
    private static func dictionary(_ headers: [(String, String)], contentType: String?) -> [String: String] {
        var out: [String: String] = [:]
        for (name, value) in headers { out[name] = value }
        if let contentType { out["Content-Type"] = contentType }
        return out
    }
}

/// The body after the prelude: a fixed envelope (or nothing), or the route's stream.
enum StreamedBody: ResponseStream {
    case fixed([UInt8]?)
    case audited(AuditedStream)

    var contentType: String {
        switch self {
        case .fixed: "application/json"
        case .audited(let stream): stream.contentType
        }
    }

    mutating func next() throws -> [UInt8]? {
        switch self {
        case .fixed(let bytes):
            self = .fixed(nil)
            return bytes
        case .audited(var stream):
            self = .fixed(nil)  // the stream's buffers stay uniquely referenced while it works
            defer { self = .audited(stream) }
            return try stream.next()
        }
    }
}

/// The route's stream, with the call's audit row and log line written when it ends: `ok` after its last chunk,
/// or the failure's code (the status stays the one already sent) when it throws, rethrown as
/// ``StreamInterrupted``.
struct AuditedStream: ResponseStream {
    var body: any ResponseStream
    let chain: APIChain
    var audit: AuditEvent
    let context: LambdaContext
    let started: UInt64
    private var sent = 0
    private var ended = false

    /// The audit row after a failure is written until this close to the deadline: a statement cut by the deadline
    /// stops `Database.deadlineReserveMilliseconds` before it, which leaves time for the row and the trailers.
    static let failureAuditReserveMilliseconds: Int64 = 100

    init(body: any ResponseStream, chain: APIChain, audit: AuditEvent, context: LambdaContext, started: UInt64) {
        self.body = body
        self.chain = chain
        self.audit = audit
        self.context = context
        self.started = started
    }

    var contentType: String { body.contentType }

    mutating func next() throws -> [UInt8]? {
        guard !ended else { return nil }
        do {
            if let chunk = try body.next() {
                sent += chunk.count
                return chunk
            }
        } catch {
            ended = true
            let envelope = EnvelopeError.from(error)
            context.logger.error("stream interrupted", metadata: ErrorMetadata.describe(error))
            audit.outcome = envelope.code.rawValue
            chain.record(
                &audit, context, started, reserve: Self.failureAuditReserveMilliseconds,
                metadata: ["response.bytes": .stringConvertible(sent), "stream": "interrupted"]
            )
            throw StreamInterrupted()
        }
        ended = true
        chain.record(&audit, context, started, metadata: ["response.bytes": .stringConvertible(sent), "stream": "complete"])
        return nil
    }
}

/// A stream that failed after its first chunk. Reported in the `Lambda-Runtime-Function-Error-Type` /
/// `-Error-Body` trailers with a fixed message: never the cause (logged by category, see `ErrorMetadata`).
public struct StreamInterrupted: Error, LambdaReportableError, Sendable {
    public init() {}
    public var lambdaErrorType: String { "Warden.StreamInterrupted" }
    public var lambdaErrorMessage: String { "The response stream was interrupted; retry the request." }
}
