public import LambdaHTTP

/// The first check of every request: the event must be an HTTP request, and a browser's `Origin` must be on the
/// allowlist (`ALLOWED_ORIGIN`); a foreign origin is refused outright, preflights included. Sets the CORS and
/// security headers every answer carries, and answers the CORS preflight (`OPTIONS`) itself with `204`.
public final class OriginMiddleware: RequestMiddleware {
    let cors: CORSPolicy

    public init(cors: CORSPolicy) { self.cors = cors }

    public func handle(_ request: HTTPRequest, context: inout RequestContext, next: MiddlewareNext) throws -> HTTPResponse {
        guard context.eventIsValid else {
            context.responseHeaders = cors.headers(origin: nil)
            throw EnvelopeError(.invalidInput, "The request is not a valid API request.")
        }
        let origin = request.header("origin")
        context.responseHeaders = cors.headers(origin: origin.value)
        guard origin != .conflict, cors.admits(origin: origin.value) else {
            throw EnvelopeError(.forbidden, "This origin is not allowed.")
        }
        if request.method == "OPTIONS" {
            context.isPreflight = true
            return HTTPResponse(status: 204, headers: context.responseHeaders)
        }
        return try next(request, &context)
    }
}
