internal import FuzzSupport
internal import LambdaHTTP
@testable internal import Middleware
internal import WardenJSON

/// Route matching of the HTTP APIs (`APIRoute` patterns, `[RoutePattern].route(for:)`), as `APIHandler` and
/// `StreamingAPIHandler` route a request before anything else happens to it.
///
/// Input: lines. Line 1 is `MODE` (one byte: `r` a REST payload 1.0 event, anything else an HTTP API payload 2.0
/// event on the `$default` stage), line 2 the request's method, line 3 its path, every further line one route,
/// `METHOD /pattern` (`{name}` segments are parameters; at most 32 routes, lines without a space are skipped). The
/// seeds hold the route tables of docs/openapi.yaml's functions (fuzz/make_corpus.py).
///
/// Invariants beyond "no crash", for every request:
/// - the outcome is a route (with its parameters), `404 NOT_FOUND`, or `405 METHOD_NOT_ALLOWED` with `Allow`;
/// - a route found has the request's method, one parameter per `{name}` of its pattern, each a whole non-empty path
///   segment, and putting them back into the pattern gives the request's path segments;
/// - `405`: `Allow` is sorted, without repeats, holds `OPTIONS` and not the refused method, and each method in it
///   routes the same path;
/// - `404`: no method of the table routes the path;
/// - reversing the table finds a route of the same method and specificity (ties go to the first route, which may
///   differ);
/// - for ASCII paths and tables, the outcome is exactly that of a plain reference written from the documentation
///   (segments between `/`, most literal segments win whatever the method, then the method; see `reference`).
enum RouteFuzz {
    static let maxRoutes = 32

    struct Outcome: Equatable {
        /// Index of the route found in the table, with its parameters.
        var found: (index: Int, parameters: [String: String])?
        var error: EnvelopeError?

        static func == (a: Outcome, b: Outcome) -> Bool {
            a.found?.index == b.found?.index && a.found?.parameters == b.found?.parameters && a.error == b.error
        }
    }

    static func run(_ input: [UInt8]) {
        let lines = input.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard lines.count >= 3 else { return }
        let rest = lines.count > 3 ? lines[3...] : []
        var routes: [APIRoute] = []
        for line in rest where routes.count < maxRoutes {
            guard let space = line.utf8.firstIndex(of: 0x20) else { continue }
            // Upper case, as every route is declared and as the event's method arrives.
            let method = String(line[..<space]).uppercased()
            let pattern = String(line[line.index(after: space)...])
            routes.append(APIRoute(method, pattern, .user) { _ in RouteResponse(data: .null) })
        }
        let isREST = lines[0].utf8.first == UInt8(ascii: "r")
        guard let request = self.request(method: lines[1], path: lines[2], rest: isREST) else { return }

        let outcome = route(request, in: routes)
        check(outcome, request: request, routes: routes, isREST: isREST)

        // Table order only breaks ties.
        let reversed = Array(routes.reversed())
        let other = route(request, in: reversed)
        if let found = outcome.found {
            guard let again = other.found else {
                Fuzz.check(false, "reversing the table lost the route")
                return
            }
            let (a, b) = (routes[found.index], reversed[again.index])
            Fuzz.check(a.method == b.method && a.literalSegments == b.literalSegments, "reversing the table changed the route's kind")
        } else {
            Fuzz.check(other.found == nil, "reversing the table found a route")
            Fuzz.check(other.error?.code == outcome.error?.code, "reversing the table changed the error")
            Fuzz.check(other.error?.allowedMethods == outcome.error?.allowedMethods, "reversing the table changed Allow")
        }

        let ascii = (lines[1] + lines[2] + rest.joined()).utf8.allSatisfy { $0 < 0x80 }
        if ascii {
            Fuzz.check(outcome == reference(request, routes), "routing disagrees with the reference")
        }
    }

    /// The request as API Gateway would deliver it.
    static func request(method: String, path: String, rest: Bool) -> HTTPRequest? {
        let event: JSON = rest
            ? ["httpMethod": .string(method), "path": .string(path), "headers": [:], "requestContext": ["stage": "prod"]]
            : [
                "version": "2.0", "rawPath": .string(path), "headers": [:],
                "requestContext": ["stage": "$default", "http": ["method": .string(method), "path": .string(path)]],
            ]
        do {
            let request = try HTTPRequest(event: event.serialized())
            Fuzz.check(request.path == path, "the event's path changed on the way in")
            return request
        } catch {
            Fuzz.check(false, "a well-formed event was refused: \(error)")
            return nil
        }
    }

    static func route(_ request: HTTPRequest, in routes: [APIRoute]) -> Outcome {
        do {
            let (found, parameters) = try routes.route(for: request)
            guard let index = routes.firstIndex(where: { $0.method == found.method && $0.pattern == found.pattern }) else {
                Fuzz.check(false, "a route not in the table")
                return Outcome()
            }
            return Outcome(found: (index, parameters))
        } catch {
            return Outcome(error: error)
        }
    }

    static func check(_ outcome: Outcome, request: HTTPRequest, routes: [APIRoute], isREST: Bool) {
        if let found = outcome.found {
            let route = routes[found.index]
            Fuzz.check(route.method == request.method, "a route of another method")
            // Segments are bytes between `/` (API Gateway's view, and the matcher's).
            let segments = request.path.utf8.split(separator: UInt8(ascii: "/")).map { Array($0) }
            Fuzz.check(segments.count == route.pattern.count, "segment count")
            var names: [String] = []
            var rebuilt: [[UInt8]] = []
            for (expected, actual) in zip(route.pattern, segments) {
                if isParameter(expected) {
                    let name = String(expected.dropFirst().dropLast())
                    names.append(name)
                    // With a name used twice, the last segment wins.
                    rebuilt.append(Array((found.parameters[name] ?? "").utf8))
                    Fuzz.check(!actual.isEmpty, "an empty parameter segment")
                } else {
                    rebuilt.append(Array(expected.utf8))
                }
            }
            Fuzz.check(Set(found.parameters.keys) == Set(names), "parameters are not the pattern's names")
            Fuzz.check(found.parameters.values.allSatisfy { !$0.isEmpty }, "an empty parameter")
            if Set(names).count == names.count {
                Fuzz.check(rebuilt.elementsEqual(segments), "the parameters do not rebuild the path")
            }
            Fuzz.check(outcome.error == nil, "both a route and an error")
            return
        }
        guard let error = outcome.error else {
            Fuzz.check(false, "neither a route nor an error")
            return
        }
        switch error.code {
        case .notFound:
            Fuzz.check(error.message == "No such route." && error.allowedMethods == nil, "404 form")
            for method in Set(routes.map(\.method)) {
                guard let other = self.request(method: method, path: request.path, rest: isREST) else { continue }
                Fuzz.check(route(other, in: routes).error?.code == .notFound, "404 for one method, a route for another")
            }
        case .methodNotAllowed:
            Fuzz.check(error.message == "This method is not supported on this route.", "405 message")
            guard let allowed = error.allowedMethods else {
                Fuzz.check(false, "405 without Allow")
                return
            }
            Fuzz.check(allowed == allowed.sorted() && Set(allowed).count == allowed.count, "Allow not sorted or repeated")
            Fuzz.check(allowed.contains("OPTIONS"), "Allow without OPTIONS")
            Fuzz.check(request.method == "OPTIONS" || !allowed.contains(request.method), "Allow holds the refused method")
            // OPTIONS is in Allow for the preflight the chain answers itself; every other method must route.
            for method in allowed where method != "OPTIONS" {
                guard let other = self.request(method: method, path: request.path, rest: isREST) else { continue }
                let routed = route(other, in: routes)
                Fuzz.check(routed.found.map { routes[$0.index].method == method } ?? false, "a method in Allow is not routed")
            }
        default:
            Fuzz.check(false, "routing failed with \(error.code)")
        }
    }

    static func isParameter(_ segment: Substring) -> Bool {
        segment.utf8.count >= 2 && segment.utf8.first == UInt8(ascii: "{") && segment.utf8.last == UInt8(ascii: "}")
    }

    /// The documented rule, on bytes: a pattern fits a path with as many `/`-separated non-empty segments when each
    /// literal segment is equal; among the fitting patterns only those with the most literal segments count; the
    /// first of them with the request's method wins; none: `405` with `OPTIONS` and their methods (sorted); no
    /// pattern fits: `404`.
    static func reference(_ request: HTTPRequest, _ routes: [APIRoute]) -> Outcome {
        let path = request.path.utf8.split(separator: 0x2F).map { Array($0) }
        var fitting: [(index: Int, literals: Int, parameters: [String: String])] = []
        for (index, route) in routes.enumerated() {
            let pattern = route.pattern.map { Array($0.utf8) }
            guard pattern.count == path.count else { continue }
            var literals = 0
            var parameters: [String: String] = [:]
            var fits = true
            for (expected, actual) in zip(pattern, path) {
                if expected.count >= 2, expected.first == UInt8(ascii: "{"), expected.last == UInt8(ascii: "}") {
                    parameters[String(decoding: expected.dropFirst().dropLast(), as: UTF8.self)] = String(decoding: actual, as: UTF8.self)
                } else if expected == actual {
                    literals += 1
                } else {
                    fits = false
                    break
                }
            }
            if fits { fitting.append((index, literals, parameters)) }
        }
        guard let most = fitting.map(\.literals).max() else {
            return Outcome(error: EnvelopeError(.notFound, "No such route."))
        }
        let best = fitting.filter { $0.literals == most }
        if let winner = best.first(where: { routes[$0.index].method == request.method }) {
            return Outcome(found: (winner.index, winner.parameters))
        }
        let methods = Set(["OPTIONS"] + best.map { routes[$0.index].method }).sorted()
        return Outcome(error: EnvelopeError(.methodNotAllowed, "This method is not supported on this route.", allowedMethods: methods))
    }
}

@main struct RouteFuzzMain {
    static func main() { Fuzz.main(RouteFuzz.run) }
}
