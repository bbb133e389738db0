public import LambdaHTTP
public import Middleware

/// Validates the body as a `CopilotRequest` once the signature is checked, and makes its owner the request's tenant
/// (the guards and the tenant match need it before the tool runs).
public final class CopilotRequestMiddleware: RequestMiddleware {
    public init() {}

    public func handle(_ request: HTTPRequest, context: inout RequestContext, next: MiddlewareNext) throws -> HTTPResponse {
        let input = try CopilotRequest(body: request.body)
        context.input = input
        context.tenant = input.tenant
        return try next(request, &context)
    }
}
