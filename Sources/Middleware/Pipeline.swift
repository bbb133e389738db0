internal import LambdaHTTP
public import LambdaRuntime
internal import Logging
public import Postgres

/// A function as a byte handler: the event becomes an `HTTPRequest`, runs through the middlewares to the responder,
/// and the answer goes back as API Gateway's result document (buffered) or as a Function URL response stream.
/// The same pipeline serves REST APIs (payload 1.0), HTTP APIs (2.0) and Function URLs.
///
/// Errors never escape it: `EnvelopeMiddleware` turns them into envelopes, and anything past it (a wiring
/// mistake) is `TOOL_FAILURE`. Every request ends with each middleware's `finish` (see `RequestEnd`).
public struct Pipeline: ByteHandler {
    /// How answers leave the function.
    public enum ResponseMode: Sendable {
        /// API Gateway's proxy result document.
        case buffered
        /// A Function URL stream (`RESPONSE_STREAM` mode): the http-integration prelude, then the body.
        case streamed
    }

    let chain: MiddlewareChain
    let mode: ResponseMode
    /// The worker's database, closed at shutdown.
    let database: Database?
    /// The last answers' beginning (status and `headers` object), reused while they stay the same.
    var resultHead = HTTPResponse.ResultHead()

    public init(_ middlewares: [any RequestMiddleware], responder: any Responder, mode: ResponseMode = .buffered, database: Database?) {
        chain = MiddlewareChain(middlewares: middlewares, responder: responder)
        self.mode = mode
        self.database = database
    }

    public mutating func respond(to event: [UInt8], context: LambdaContext) throws -> LambdaResponse {
        let response = answer(event, context: context)
        switch mode {
        case .buffered: return .buffered(response.apiGatewayResult(reusing: &resultHead))
        case .streamed: return .streamed(response.functionURLStream())
        }
    }

    /// The whole answer at once: the result document, or the stream's bytes (prelude, NUL bytes, body) — what a
    /// buffered invocation would carry. The runtime calls ``respond(to:context:)``.
    public mutating func handle(_ event: [UInt8], context: LambdaContext) throws -> [UInt8] {
        switch try respond(to: event, context: context) {
        case .buffered(let bytes):
            return bytes
        case .streamed(var stream):
            var bytes: [UInt8] = []
            while let chunk = try stream.next() { bytes += chunk }
            return bytes
        }
    }

    public mutating func shutdown() { database?.close() }

    /// Runs one event through the pipeline. A buffered answer is finished here; a stream when it ends.
    func answer(_ event: [UInt8], context lambda: LambdaContext) -> HTTPResponse {
        let request: HTTPRequest?
        do {
            request = try HTTPRequest(event: event)
        } catch {
            request = nil
        }
        var context = RequestContext(lambda: lambda, eventIsValid: request != nil)
        var response: HTTPResponse
        do {
            response = try chain.run(from: 0, request ?? HTTPRequest.empty, &context)
        } catch {
            lambda.logger.error("pipeline failure", metadata: ErrorMetadata.describe(error))
            context.outcome = ErrorCode.toolFailure.rawValue
            response = .failure(.toolFailure, headers: context.responseHeaders)
        }
        if case .stream = response.body, mode != .streamed {
            // A buffered function cannot send a stream: a wiring mistake, never half an answer.
            lambda.logger.error("stream from a buffered function")
            context.outcome = ErrorCode.toolFailure.rawValue
            response = .failure(.toolFailure, headers: context.responseHeaders)
        }
        switch response.body {
        case .bytes:
            chain.finish(
                RequestEnd(
                    status: response.status, outcome: context.outcome ?? "ok",
                    auditReserveMilliseconds: Database.deadlineReserveMilliseconds, logMetadata: context.logMetadata
                ),
                context: context
            )
        case .stream(let body):
            response.body = .stream(FinishingStream(body: body, chain: chain, context: context, status: response.status))
        }
        return response
    }
}

extension HTTPRequest {
    /// What the pipeline runs when the event was not an HTTP proxy event (`RequestContext.eventIsValid` is false).
    static let empty = HTTPRequest(method: "", path: "/", headerFields: [], body: nil, bodyWasBase64Encoded: false, queryParameters: [:])
}

/// A response stream that tells the pipeline's middlewares how it ended: `ok` after its last chunk, or the failure's
/// code (the status stays the one already sent) when it throws — rethrown as ``StreamInterrupted``.
struct FinishingStream: ResponseStream {
    var body: any ResponseStream
    let chain: MiddlewareChain
    let context: RequestContext
    let status: Int
    private var sent = 0
    private var ended = false

    /// The audit row after a failure is written until this close to the deadline: a statement cut by the deadline
    /// stops `Database.deadlineReserveMilliseconds` before it, which leaves time for the row and the trailers.
    static let failureAuditReserveMilliseconds: Int64 = 100

    init(body: any ResponseStream, chain: MiddlewareChain, context: RequestContext, status: Int) {
        self.body = body
        self.chain = chain
        self.context = context
        self.status = status
    }

    var contentType: String { body.contentType }

    mutating func next() throws -> [UInt8]? {
        guard !ended else { return nil }
        do {
            if let chunk = try body.next() {
                sent += chunk.count
                return chunk
            }
        } catch {
            ended = true
            let envelope = EnvelopeError.from(error)
            context.logger.error("stream interrupted", metadata: ErrorMetadata.describe(error))
            var metadata = context.logMetadata
            metadata["response.bytes"] = .stringConvertible(sent)
            metadata["stream"] = "interrupted"
            chain.finish(
                RequestEnd(status: status, outcome: envelope.code.rawValue,
                           auditReserveMilliseconds: Self.failureAuditReserveMilliseconds, logMetadata: metadata),
                context: context
            )
            throw StreamInterrupted()
        }
        ended = true
        var metadata = context.logMetadata
        metadata["response.bytes"] = .stringConvertible(sent)
        metadata["stream"] = "complete"
        chain.finish(
            RequestEnd(status: status, outcome: context.outcome ?? "ok",
                       auditReserveMilliseconds: Database.deadlineReserveMilliseconds, logMetadata: metadata),
            context: context
        )
        return nil
    }
}

/// A stream that failed after its first chunk. Reported in the `Lambda-Runtime-Function-Error-Type` /
/// `-Error-Body` trailers with a fixed message: never the cause (logged by category, see `ErrorMetadata`).
public struct StreamInterrupted: Error, LambdaReportableError, Sendable {
    public init() {}
    public var lambdaErrorType: String { "Warden.StreamInterrupted" }
    public var lambdaErrorMessage: String { "The response stream was interrupted; retry the request." }
}
