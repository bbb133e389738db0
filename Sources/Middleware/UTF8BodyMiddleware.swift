public import LambdaHTTP

/// Refuses a body that is not valid UTF-8 as the client sent it (`HTTPRequest.requireUTF8Body`): placed after
/// authentication (an anonymous caller learns nothing about how its body is read) and before any statement, so
/// what API Gateway left of invalid UTF-8 never reaches a row.
public final class UTF8BodyMiddleware: RequestMiddleware {
    public init() {}

    public func handle(_ request: HTTPRequest, context: inout RequestContext, next: MiddlewareNext) throws -> HTTPResponse {
        try request.requireUTF8Body()
        return try next(request, &context)
    }
}
