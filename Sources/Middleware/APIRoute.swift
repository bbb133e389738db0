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

/// Who is calling, once authenticated.
public enum Principal: Sendable, Equatable {
    case user(UserPrincipal)
    case apiKey(APIKeyPrincipal)

    /// The tenant (organization) the call is scoped to.
    public var tenant: TenantID {
        switch self {
        case .user(let u): u.organization
        case .apiKey(let k): k.tenant
        }
    }

    /// The id recorded in the audit trail (the user id or the key's row id; never a token or a key).
    var auditID: String {
        switch self {
        case .user(let u): "user:\(u.subject)"
        case .apiKey(let k): "key:\(k.keyID)"
        }
    }
}

/// What a route handler gets: the request, its path parameters, the caller and a session scoped to its tenant.
public struct RouteRequest {
    public let request: APIGatewayRequest
    public let pathParameters: [String: String]
    public let principal: Principal
    public let session: TenantSession
    public let context: LambdaContext

    /// The body as a JSON object (`INVALID_INPUT` otherwise), parsed strictly.
    public func jsonBody() throws(EnvelopeError) -> JSONObject {
        try JSONBody.object(request.body, emptyMessage: "The request body must be a JSON object.")
    }
}

/// A route's answer: its status, the envelope's `data` and optional `meta`.
public struct RouteResponse: Sendable {
    public var status: Int
    public var data: JSON
    public var meta: JSONObject?
    /// What the call spent from the organization's enrichment budget, in cents (its metric line reports it).
    public var budgetSpentCents: Int64 = 0

    public init(status: Int = 200, data: JSON, meta: JSONObject? = nil) {
        self.status = status
        self.data = data
        self.meta = meta
    }
}

/// What routing looks at in a route, buffered (`APIRoute`) or streamed (`StreamingAPIRoute`): the method, the path
/// pattern (segments, `{name}` for a parameter) and who may call it.
public protocol RoutePattern {
    var method: String { get }
    var pattern: [Substring] { get }
    var authentication: RouteAuthentication { get }
    /// Whether the route changes data, so that an `Idempotency-Key` makes a retry safe (see `Idempotency.swift`).
    var mutates: Bool { get }
}

extension RoutePattern {
    /// Routes read unless they say otherwise (a streamed route only reads).
    public var mutates: Bool { false }
}

/// One route: method, a path pattern with `{name}` segments, who may call it, and the business logic. The handler
/// runs on the invocation loop's thread only, so it may use per-process state (a reused HTTP handle, caches).
///
/// `mutates: true` marks a route that changes data: it honours `Idempotency-Key` (the first 2xx answer is stored
/// per organization and key and replayed to a retry with the same request; see `Idempotency.swift`). Other routes
/// ignore the header. Under a key, a mutating route's statements run in one transaction with the stored answer;
/// `atomic: false` is for a route that must not hold a transaction open because it waits on another service between
/// its statements (each statement then commits on its own, and the answer after them).
public struct APIRoute: RoutePattern {
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

extension RoutePattern {
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

extension Array where Element: RoutePattern {
    /// The route serving `request` and its path parameters. As API Gateway does, the most specific pattern wins:
    /// `/api/participants/enrich` (all literal) hides `/api/participants/{id}` for that path, whatever the method.
    /// No pattern fits: `404`; the path has no route for the method: `405` with the methods it has (`Allow`).
    func route(for request: APIGatewayRequest) throws(EnvelopeError) -> (Element, [String: String]) {
        let matches = compactMap { route in route.match(request.path).map { (route, $0) } }
        guard let specificity = matches.map({ $0.0.literalSegments }).max() else { throw EnvelopeError(.notFound, "No such route.") }
        let candidates = matches.filter { $0.0.literalSegments == specificity }
        guard let found = candidates.first(where: { $0.0.method == request.method }) else {
            var methods = ["OPTIONS"]
            for (route, _) in candidates where !methods.contains(route.method) { methods.append(route.method) }
            throw EnvelopeError(.methodNotAllowed, "This method is not supported on this route.", allowedMethods: methods.sorted())
        }
        return found
    }
}
