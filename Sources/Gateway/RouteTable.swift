/// A request matched to a route.
public struct RouteMatch: Sendable {
    public var route: RouteDefinition
    public var api: APIDefinition
    /// `{param}` / `{proxy+}` values, percent-decoded, in the order of the route's path.
    public var pathParameters: [(String, String)]
    /// The request path without the stage prefix it may have come with, still percent-encoded (`/generate_email`).
    public var pathWithoutStage: String
}

/// Why no route serves a request, and so which error API Gateway answers.
public enum NoRoute: Error, Sendable, Equatable {
    /// A REST API would answer `403 {"message":"Missing Authentication Token"}`.
    case rest
    /// An HTTP API would answer `404 {"message":"Not Found"}`.
    case http
}

/// Every `Api` / `HttpApi` route of a template, matched as API Gateway does: the request's method must be the
/// route's (or the route is `ANY`); among those, the most specific path wins (a literal segment beats `{param}`,
/// which beats `{proxy+}`), then an exact method beats `ANY`; an HTTP API's `$default` route takes what nothing else
/// does. Paths are accepted with the stage prefix (`/prod/generate_email`, as the deployed URL has it) and without
/// it (`/generate_email`, as `sam local start-api` serves them).
public struct RouteTable: Sendable {
    private struct Entry: Sendable {
        enum Segment: Sendable {
            case literal(String)
            case parameter(String)
            case greedy(String)
        }

        var route: RouteDefinition
        var api: APIDefinition
        var segments: [Segment]
    }

    private let entries: [Entry]
    private let defaults: [Entry]
    private let apis: [APIDefinition]

    public init(template: GatewayTemplate) {
        var entries: [Entry] = []
        var defaults: [Entry] = []
        var refused: [Entry] = []
        for function in template.functions {
            for route in function.routes {
                guard let api = template.api(route.apiLogicalID) else { continue }
                let entry = Entry(route: route, api: api, segments: Self.parse(route.path))
                if route.path == "$default" {
                    defaults.append(entry)
                } else if function.tenantIsolation != (route.tenantIDSource != nil) {
                    refused.append(entry)
                } else {
                    entries.append(entry)
                }
            }
        }
        // All APIs share one port, so two APIs may route the same method and path (an API for tenant isolation mode
        // beside the one for the default mode, say). Among equals the first wins: routes whose invoke Lambda would
        // refuse for its tenant id (a tenant-isolated function without a mapped tenant, or the reverse) come last.
        self.entries = entries + refused
        self.defaults = defaults
        self.apis = template.apis
    }

    public var isEmpty: Bool { entries.isEmpty && defaults.isEmpty }

    private static func parse(_ path: String) -> [Entry.Segment] {
        path.split(separator: "/", omittingEmptySubsequences: true).map { segment in
            if segment.hasPrefix("{"), segment.hasSuffix("+}") {
                return .greedy(String(segment.dropFirst().dropLast(2)))
            }
            if segment.hasPrefix("{"), segment.hasSuffix("}") {
                return .parameter(String(segment.dropFirst().dropLast()))
            }
            return .literal(String(segment))
        }
    }

    /// The route for `method` and `rawPath`; `method` `*` accepts a route of any method (to find the API a CORS
    /// preflight is for).
    public func match(method: String, rawPath: String) -> Result<RouteMatch, NoRoute> {
        let raw = rawPath.split(separator: "/", omittingEmptySubsequences: true)
        let decoded = raw.map { PercentEncoding.decode($0) }

        // 1. With the stage prefix, 2. without it; explicit routes before `$default` ones.
        var attempts: [(apiFilter: (APIDefinition) -> Bool, segments: ArraySlice<String>, path: String)] = []
        if let first = decoded.first {
            // The raw path minus its first segment (`/prod/a%20b` → `/a%20b`), keeping a trailing slash.
            var rest = Substring(rawPath)
            while rest.hasPrefix("/") { rest = rest.dropFirst() }
            rest = rest.dropFirst(raw[0].count)
            let stripped = rest.isEmpty ? "/" : String(rest)
            attempts.append(({ $0.hasNamedStage && $0.stageName == first }, decoded.dropFirst(), stripped))
        }
        attempts.append(({ _ in true }, decoded[...], rawPath))
        for (index, attempt) in attempts.enumerated() {
            let candidates = entries.filter { attempt.apiFilter($0.api) }
            if var found = best(candidates, method: method, segments: attempt.segments) {
                found.pathWithoutStage = attempt.path
                return .success(found)
            }
            // With its stage prefix, a path that one of the stage's APIs routes (for another method) is that API's:
            // its `$default` route or its "no route" answer, never another API's.
            if index == 0, attempts.count == 2, let owner = best(candidates, method: "*", segments: attempt.segments) {
                if let entry = defaults.first(where: { $0.api.logicalID == owner.api.logicalID && ($0.route.method == "ANY" || $0.route.method == method) }) {
                    return .success(RouteMatch(route: entry.route, api: entry.api, pathParameters: [], pathWithoutStage: attempt.path))
                }
                return .failure(owner.api.kind == .rest ? .rest : .http)
            }
        }
        for attempt in attempts {
            if let entry = defaults.first(where: { attempt.apiFilter($0.api) && ($0.route.method == "ANY" || $0.route.method == method || method == "*") }) {
                return .success(RouteMatch(route: entry.route, api: entry.api, pathParameters: [], pathWithoutStage: attempt.path))
            }
        }
        return .failure(noRouteKind(decoded))
    }

    private func best(_ candidates: [Entry], method: String, segments: ArraySlice<String>) -> RouteMatch? {
        var chosen: (entry: Entry, ranks: [Int], parameters: [(String, String)])?
        for entry in candidates where entry.route.method == method || entry.route.method == "ANY" || method == "*" {
            guard let (ranks, parameters) = Self.match(entry.segments, segments) else { continue }
            if let current = chosen {
                let order = Self.compare(ranks, current.ranks)
                let better = order > 0 || (order == 0 && entry.route.method == method && current.entry.route.method == "ANY")
                if !better { continue }
            }
            chosen = (entry, ranks, parameters)
        }
        return chosen.map { RouteMatch(route: $0.entry.route, api: $0.entry.api, pathParameters: $0.parameters, pathWithoutStage: "") }
    }

    /// Per-segment ranks (literal 3, parameter 2, greedy 1) and the parameters, or nil when the path does not match.
    private static func match(_ pattern: [Entry.Segment], _ segments: ArraySlice<String>) -> ([Int], [(String, String)])? {
        var ranks: [Int] = []
        var parameters: [(String, String)] = []
        var index = segments.startIndex
        for (position, segment) in pattern.enumerated() {
            switch segment {
            case .literal(let text):
                guard index < segments.endIndex, segments[index] == text else { return nil }
                ranks.append(3)
                index += 1
            case .parameter(let name):
                guard index < segments.endIndex else { return nil }
                parameters.append((name, segments[index]))
                ranks.append(2)
                index += 1
            case .greedy(let name):
                // `{proxy+}` is last and takes one or more segments.
                guard position == pattern.count - 1, index < segments.endIndex else { return nil }
                parameters.append((name, segments[index...].joined(separator: "/")))
                ranks.append(1)
                index = segments.endIndex
            }
        }
        return index == segments.endIndex ? (ranks, parameters) : nil
    }

    private static func compare(_ a: [Int], _ b: [Int]) -> Int {
        for (x, y) in zip(a, b) where x != y { return x > y ? 1 : -1 }
        return a.count == b.count ? 0 : (a.count > b.count ? 1 : -1)
    }

    /// A REST API's 403 when the path's first segment (after a stage prefix) belongs to a REST API's routes, or when
    /// there is no HTTP API; an HTTP API's 404 otherwise.
    private func noRouteKind(_ segments: [String]) -> NoRoute {
        let hasHTTP = apis.contains { $0.kind == .http }
        let hasREST = apis.contains { $0.kind == .rest }
        guard hasHTTP else { return .rest }
        guard hasREST else { return .http }
        var firsts: [String] = []
        if let first = segments.first { firsts.append(first) }
        if segments.count > 1, apis.contains(where: { $0.kind == .rest && $0.stageName == segments[0] }) { firsts.append(segments[1]) }
        for entry in entries where entry.api.kind == .rest {
            if case .literal(let text) = entry.segments.first, firsts.contains(text) { return .rest }
        }
        if let first = segments.first, apis.contains(where: { $0.kind == .rest && $0.stageName == first }),
            !apis.contains(where: { $0.kind == .http && $0.stageName == first })
        {
            return .rest
        }
        return .http
    }
}
