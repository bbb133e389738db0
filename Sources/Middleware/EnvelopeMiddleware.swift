public import LambdaHTTP

/// Where errors become answers: every error thrown behind it is mapped to the `{ok:false}` envelope in this one
/// place (`EnvelopeError.from`: anything unexpected is `TOOL_FAILURE`, logged by category, never by its text), with
/// the request's CORS and security headers.
public final class EnvelopeMiddleware: RequestMiddleware {
    /// The log message of an unexpected failure (`tool failure`, `route failure`).
    let failureMessage: String

    public init(failureMessage: String) { self.failureMessage = failureMessage }

    public func handle(_ request: HTTPRequest, context: inout RequestContext, next: MiddlewareNext) throws -> HTTPResponse {
        do {
            return try next(request, &context)
        } catch {
            let envelope = EnvelopeError.from(error)
            if envelope.code == .toolFailure {
                context.logger.error("\(failureMessage)", metadata: ErrorMetadata.describe(error))
            }
            context.outcome = envelope.code.rawValue
            return .failure(envelope, headers: context.responseHeaders)
        }
    }
}
