public import Logging
internal import Platform

/// Lambda's limit on a synchronous response payload (6 MB).
public let maxResponseBytes = 6 * 1024 * 1024

/// What a handler factory gets at init: the environment's logger. Init must not touch the network.
public struct InitContext: Sendable {
    /// The process logger (no request id yet).
    public let logger: Logger
}

/// The invocation loop: `GET next` → handler → `POST response` or `POST error`, for the life of the process.
public enum LambdaRuntime {
    /// Runs a function: sets up logging from `AWS_LAMBDA_LOG_FORMAT` / `AWS_LAMBDA_LOG_LEVEL`, builds the handler
    /// (a failure is posted to `/init/error` and the process exits 1), then serves invocations until SIGTERM.
    public static func run<Handler: ByteHandler>(_ makeHandler: (InitContext) throws -> Handler) -> Never {
        let logger = bootstrapLogging()
        guard let api = Platform.environment("AWS_LAMBDA_RUNTIME_API") else {
            logger.critical("AWS_LAMBDA_RUNTIME_API is not set: this program runs inside AWS Lambda or `warden emulate`")
            Platform.exit(1)
        }
        var client: CurlRuntimeClient
        do {
            client = try CurlRuntimeClient(runtimeAPI: api)
        } catch {
            logger.critical("Runtime API client could not start", metadata: ["error.code": "\(error.code.rawValue)"])
            Platform.exit(1)
        }
        TerminationSignal.install()
        let handler: Handler
        do {
            handler = try makeHandler(InitContext(logger: logger))
        } catch {
            let report = errorReport(for: error, fallbackType: "Runtime.InitError", fallbackMessage: "Function initialization failed.")
            logger.critical("initialization failed", metadata: ["error.type": "\(report.errorType)"])
            try? client.reportInitError(report)
            Platform.exit(1)
        }
        serve(handler, client: &client, logger: logger)
    }

    /// The loop proper, over any Runtime API client: ``step(_:client:logger:)`` until it says to exit.
    public static func serve<Handler: ByteHandler, Client: RuntimeAPIClient>(
        _ handler: Handler, client: inout Client, logger: Logger
    ) -> Never {
        var handler = handler
        while true {
            if case .exit(let status) = step(&handler, client: &client, logger: logger) { Platform.exit(status) }
        }
    }

    /// What the loop does after one ``step(_:client:logger:)``.
    public enum StepOutcome: Sendable, Equatable {
        /// Poll `/next` again.
        case next
        /// End the process with this status: 1 when `/next` failed, 0 when SIGTERM arrived during the invocation.
        case exit(Int32)
    }

    /// One turn of the loop: `GET /next`, the handler, the answer. Only a failing `/next` ends the process: an
    /// answer the Runtime API refuses (410 for an invocation that is already over, any other 4xx or 5xx) or cannot
    /// take is logged, and the loop goes on to the next invocation.
    public static func step<Handler: ByteHandler, Client: RuntimeAPIClient>(
        _ handler: inout Handler, client: inout Client, logger: Logger
    ) -> StepOutcome {
        let invocation: Invocation
        do {
            invocation = try client.next()
        } catch {
            logger.critical("Runtime API failure", metadata: ["error.code": "\(error.code.rawValue)", "error.detail": "\(error.detail)"])
            return .exit(1)
        }
        TerminationSignal.setBusy(true)
        do {
            try handle(invocation, with: &handler, client: &client, logger: logger)
        } catch {
            logger.error(
                "answer not delivered",
                metadata: ["requestId": "\(invocation.metadata.requestID)", "error.code": "\(error.code.rawValue)", "error.detail": "\(error.detail)"]
            )
        }
        return TerminationSignal.setBusy(false) ? .exit(0) : .next
    }

    /// The invocation's context: its metadata, and a logger whose records carry its request id and tenant id.
    static func context(for meta: InvocationMetadata, logger base: Logger) -> LambdaContext {
        var logger = base
        logger[metadataKey: "requestId"] = .string(meta.requestID)
        if let tenant = meta.tenantID { logger[metadataKey: "tenantId"] = .string(tenant) }
        return LambdaContext(
            requestID: meta.requestID, deadlineMilliseconds: meta.deadlineMilliseconds,
            invokedFunctionARN: meta.invokedFunctionARN, traceID: meta.traceID, clientContext: meta.clientContext,
            cognitoIdentity: meta.cognitoIdentity, tenantID: meta.tenantID, logger: logger
        )
    }

    private static func handle<Handler: ByteHandler, Client: RuntimeAPIClient>(
        _ invocation: Invocation, with handler: inout Handler, client: inout Client, logger base: Logger
    ) throws(LambdaRuntimeError) {
        let meta = invocation.metadata
        Platform.setEnvironment("_X_AMZN_TRACE_ID", meta.traceID)
        let context = context(for: meta, logger: base)
        let logger = context.logger
        let response: LambdaResponse
        do {
            response = try handler.respond(to: invocation.event, context: context)
        } catch {
            let report = errorReport(for: error, fallbackType: "Runtime.HandlerError", fallbackMessage: "The handler failed.")
            logger.error("handler error", metadata: ["error.type": "\(report.errorType)"])
            try client.reportError(meta.target, report)
            return
        }
        switch response {
        case .buffered(let bytes):
            try respond(bytes, to: meta.target, client: &client, logger: logger)
        case .streamed(let stream):
            try respond(streaming: stream, to: meta.target, client: &client, logger: logger)
        }
    }

    /// `POST /response` with the whole payload, or `Function.ResponseSizeTooLarge` to `/error` past 6 MB.
    private static func respond<Client: RuntimeAPIClient>(
        _ response: [UInt8], to target: InvocationTarget, client: inout Client, logger: Logger
    ) throws(LambdaRuntimeError) {
        guard response.count <= maxResponseBytes else {
            logger.error("response too large", metadata: ["response.bytes": "\(response.count)"])
            try client.reportError(target, tooLarge(response.count))
            return
        }
        do {
            try client.respond(target, body: response)
        } catch where error.code == .responseTooLarge {
            try client.reportError(target, tooLarge(response.count))
        }
    }

    /// Streams `stream` to `POST /response` chunk by chunk; an error the stream throws ends it with the error
    /// trailers (reported like a handler error, never with the error's own text).
    private static func respond<Client: RuntimeAPIClient>(
        streaming stream: any ResponseStream, to target: InvocationTarget, client: inout Client, logger: Logger
    ) throws(LambdaRuntimeError) {
        var stream = stream
        var sent = 0
        do {
            try client.respondStreaming(target, contentType: stream.contentType) {
                do {
                    guard let chunk = try stream.next() else { return .end }
                    sent += chunk.count
                    return .chunk(chunk)
                } catch {
                    let report = errorReport(for: error, fallbackType: "Runtime.HandlerError", fallbackMessage: "The handler failed.")
                    logger.error("stream error", metadata: ["error.type": "\(report.errorType)", "response.bytes": "\(sent)"])
                    return .failed(report)
                }
            }
        } catch where error.code == .responseTooLarge {
            // The stream went out; the Runtime API cut it at its limit and has already failed the invocation.
            logger.error("streamed response too large", metadata: ["response.bytes": "\(sent)"])
        }
    }

    private static func tooLarge(_ count: Int) -> ErrorReport {
        ErrorReport(
            errorType: "Function.ResponseSizeTooLarge",
            errorMessage: "Response payload size (\(count) bytes) exceeded maximum allowed payload size (\(maxResponseBytes) bytes)."
        )
    }

    private static func errorReport(for error: any Error, fallbackType: String, fallbackMessage: String) -> ErrorReport {
        if let reportable = error as? any LambdaReportableError {
            return ErrorReport(errorType: reportable.lambdaErrorType, errorMessage: reportable.lambdaErrorMessage)
        }
        return ErrorReport(errorType: fallbackType, errorMessage: fallbackMessage)
    }

    /// Installs `LambdaLogHandler` for the whole process and returns the process logger.
    @discardableResult
    public static func bootstrapLogging() -> Logger {
        let format = LambdaLogFormat.fromEnvironment(Platform.environment("AWS_LAMBDA_LOG_FORMAT"))
        let level = lambdaLogLevel(Platform.environment("AWS_LAMBDA_LOG_LEVEL"))
        LoggingSystem.bootstrap { label in LambdaLogHandler(label: label, format: format, level: level) }
        return Logger(label: Platform.environment("AWS_LAMBDA_FUNCTION_NAME") ?? "warden")
    }
}
