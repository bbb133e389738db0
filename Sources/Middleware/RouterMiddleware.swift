public import LambdaHTTP

/// Finds the route of an HTTP API request (`RouteMatch` in the context): the most specific path pattern wins, as
/// in API Gateway; no pattern fits: `404`; the path has no route for the method: `405` with the methods it has.
public final class RouterMiddleware: RequestMiddleware {
    let routes: [APIRoute]

    public init(routes: [APIRoute]) { self.routes = routes }

    public func handle(_ request: HTTPRequest, context: inout RequestContext, next: MiddlewareNext) throws -> HTTPResponse {
        let (index, parameters) = try routes.routeIndex(for: request)
        let route = routes[index]
        context.route = RouteMatch(
            index: index, parameters: parameters, authentication: route.authentication, mutates: route.mutates, atomic: route.atomic
        )
        return try next(request, &context)
    }
}
