public import LambdaHTTP
public import Logging

/// One step of the request pipeline: looks at the request and its context, then answers itself or calls `next`
/// and may change what comes back. One type per concern, one file each (`OriginMiddleware`, `AuditMiddleware`, …).
///
/// Middlewares belong to one worker's pipeline (built by the function's factory on the worker's thread), so they
/// may keep state such as a cached secret.
public protocol RequestMiddleware: AnyObject {
    func handle(_ request: HTTPRequest, context: inout RequestContext, next: MiddlewareNext) throws -> HTTPResponse
    /// Called once the answer is complete — at once for a buffered answer, at the end of a stream — innermost
    /// middleware first. The default does nothing.
    func finish(_ end: RequestEnd, context: RequestContext)
}

extension RequestMiddleware {
    public func finish(_ end: RequestEnd, context: RequestContext) {}
}

/// The end of the pipeline: produces the answer of a request that every middleware let through.
public protocol Responder: AnyObject {
    func respond(to request: HTTPRequest, context: inout RequestContext) throws -> HTTPResponse
}

/// How a request ended, for the middlewares that record it (audit row, log line, metrics).
public struct RequestEnd {
    /// The outcome of an answer replayed under an `Idempotency-Key`: counted as the success it repeats.
    public static let replayed = "replayed"

    /// The HTTP status answered (for an interrupted stream, the one already sent).
    public var status: Int
    /// `ok`, an error code, or `replayed`.
    public var outcome: String
    /// How long before the deadline the audit row must be written.
    public var auditReserveMilliseconds: Int64
    /// Extra fields of the log line (the context's, plus the stream's size and how it ended).
    public var logMetadata: Logger.Metadata
}

/// The rest of the pipeline after a middleware.
public struct MiddlewareNext {
    let pipeline: MiddlewareChain
    let index: Int

    /// Runs the rest of the pipeline.
    public func callAsFunction(_ request: HTTPRequest, _ context: inout RequestContext) throws -> HTTPResponse {
        try pipeline.run(from: index, request, &context)
    }
}

/// The middlewares in order and the responder behind them.
final class MiddlewareChain {
    let middlewares: [any RequestMiddleware]
    let responder: any Responder

    init(middlewares: [any RequestMiddleware], responder: any Responder) {
        self.middlewares = middlewares
        self.responder = responder
    }

    func run(from index: Int, _ request: HTTPRequest, _ context: inout RequestContext) throws -> HTTPResponse {
        guard index < middlewares.count else { return try responder.respond(to: request, context: &context) }
        return try middlewares[index].handle(request, context: &context, next: MiddlewareNext(pipeline: self, index: index + 1))
    }

    /// Tells every middleware, innermost first, how the request ended.
    func finish(_ end: RequestEnd, context: RequestContext) {
        for middleware in middlewares.reversed() { middleware.finish(end, context: context) }
    }
}
