public import LambdaHTTP
public import LambdaRuntime
public import Postgres
public import WardenJSON

/// How a route authenticates its caller.
public enum RouteAuthentication: Sendable, Equatable {
    /// A bearer JWT; the user's organization is the tenant.
    case user
    /// An API key holding `role`; the key's organization is the tenant.
    case apiKey(role: String)
}

/// What a route handler gets: the request, its path parameters, the caller and a session scoped to its tenant.
public struct RouteRequest {
    public let request: HTTPRequest
    public let pathParameters: [String: String]
    public let principal: Principal
    /// The session for the route's statements. Its first statement carries the request's guards (the tenant's
    /// token bucket, an idempotency reservation), so a refusal is still answered with a status and an envelope.
    public let session: TenantSession
    /// Fresh sessions for the same tenant, for the statements a streamed answer runs after the route has returned.
    public let sessions: TenantSessions
    public let context: LambdaContext

    /// The body as a JSON object (`INVALID_INPUT` otherwise), parsed strictly.
    public func jsonBody() throws(EnvelopeError) -> JSONObject {
        try JSONBody.object(request.body, emptyMessage: "The request body must be a JSON object.")
    }
}

/// A route's answer: its status and the envelope's `data` and optional `meta` — or, from a function serving a
/// Function URL in `RESPONSE_STREAM` mode, a stream (its `contentType` becomes the response's `Content-Type`; its
/// chunks are sent as they come; an error it throws ends the stream with the error trailers).
public struct RouteResponse {
    public var status: Int
    public var data: JSON
    public var meta: JSONObject?
    /// The streamed body, instead of the envelope.
    public var stream: (any ResponseStream)?
    /// What the call spent from the organization's enrichment budget, in cents (its metric line reports it).
    public var budgetSpentCents: Int64 = 0

    public init(status: Int = 200, data: JSON, meta: JSONObject? = nil) {
        self.status = status
        self.data = data
        self.meta = meta
    }

    /// A streamed answer with `status`.
    public static func stream(status: Int = 200, _ body: any ResponseStream) -> RouteResponse {
        var response = RouteResponse(status: status, data: .null)
        response.stream = body
        return response
    }
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

/// The route a request matched: where it is in the function's table, its path parameters, and what the pipeline
/// needs to know of it before it runs.
public struct RouteMatch: Sendable {
    public let index: Int
    public let parameters: [String: String]
    public let authentication: RouteAuthentication
    public let mutates: Bool
    public let atomic: Bool
}

/// One route: method, a path pattern with `{name}` segments, who may call it, and the business logic. The handler
/// runs on the invocation loop's thread only, so it may use per-process state (a reused HTTP handle, caches).
///
/// `mutates: true` marks a route that changes data: it honours `Idempotency-Key` (the first 2xx answer is stored
/// per organization and key and replayed to a retry with the same request; see `Idempotency.swift`). Other routes
/// ignore the header. Under a key, a mutating route's statements run in one transaction with the stored answer;
/// `atomic: false` is for a route that must not hold a transaction open because it waits on another service between
/// its statements (each statement then commits on its own, and the answer after them).
public struct APIRoute {
    public let method: String
    public let pattern: [Substring]
    public let authentication: RouteAuthentication
    public let mutates: Bool
    /// Whether the route's statements may share one transaction (see above).
    public let atomic: Bool
    public let handler: (RouteRequest) throws -> RouteResponse

    public init(
        _ method: String, _ path: String, _ authentication: RouteAuthentication, mutates: Bool = false, atomic: Bool = true,
        handler: @escaping (RouteRequest) throws -> RouteResponse
    ) {
        self.method = method
        self.pattern = path.split(separator: "/")
        self.authentication = authentication
        self.mutates = mutates
        self.atomic = atomic
        self.handler = handler
    }
}

extension APIRoute {
    /// How many segments of the pattern are literal (not `{name}`): the more, the more specific the route.
    var literalSegments: Int { pattern.filter { !($0.first == "{" && $0.last == "}") }.count }

    /// The path parameters when `path` fits the pattern. Segments are split and compared byte for byte, as API
    /// Gateway does: a combining mark after `/` stays in its segment, and `café` is not `cafe` + U+0301.
    func match(_ path: String) -> [String: String]? {
        let parts = path.utf8.split(separator: UInt8(ascii: "/"))
        guard parts.count == pattern.count else { return nil }
        var parameters: [String: String] = [:]
        for (expected, actual) in zip(pattern, parts) {
            if expected.first == "{", expected.last == "}" {
                parameters[String(expected.dropFirst().dropLast())] = String(decoding: actual, as: UTF8.self)
            } else if !expected.utf8.elementsEqual(actual) {
                return nil
            }
        }
        return parameters
    }
}

extension Array where Element == APIRoute {
    /// The route serving `request` and its path parameters. As API Gateway does, the most specific pattern wins:
    /// `/api/participants/enrich` (all literal) hides `/api/participants/{id}` for that path, whatever the method.
    /// No pattern fits: `404`; the path has no route for the method: `405` with the methods it has (`Allow`).
    func route(for request: HTTPRequest) throws(EnvelopeError) -> (Element, [String: String]) {
        let (index, parameters) = try routeIndex(for: request)
        return (self[index], parameters)
    }

    /// ``route(for:)``'s answer as the route's index.
    func routeIndex(for request: HTTPRequest) throws(EnvelopeError) -> (Int, [String: String]) {
        let matches = indices.compactMap { index in self[index].match(request.path).map { (index, $0) } }
        guard let specificity = matches.map({ self[$0.0].literalSegments }).max() else { throw EnvelopeError(.notFound, "No such route.") }
        let candidates = matches.filter { self[$0.0].literalSegments == specificity }
        guard let found = candidates.first(where: { self[$0.0].method == request.method }) else {
            var methods = ["OPTIONS"]
            for (index, _) in candidates where !methods.contains(self[index].method) { methods.append(self[index].method) }
            throw EnvelopeError(.methodNotAllowed, "This method is not supported on this route.", allowedMethods: methods.sorted())
        }
        return found
    }
}
