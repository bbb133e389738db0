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

    /// The loop proper, over any Runtime API client.
    public static func serve<Handler: ByteHandler, Client: RuntimeAPIClient>(
        _ handler: Handler, client: inout Client, logger: Logger
    ) -> Never {
        var handler = handler
        while true {
            do {
                let invocation = try client.next()
                TerminationSignal.setBusy(true)
                try handle(invocation, with: &handler, client: &client, logger: logger)
            } catch {
                logger.critical("Runtime API failure", metadata: ["error.code": "\(error.code.rawValue)", "error.detail": "\(error.detail)"])
                Platform.exit(1)
            }
            if TerminationSignal.setBusy(false) { Platform.exit(0) }
        }
    }

    private static func handle<Handler: ByteHandler, Client: RuntimeAPIClient>(
        _ invocation: Invocation, with handler: inout Handler, client: inout Client, logger base: Logger
    ) throws(LambdaRuntimeError) {
        let meta = invocation.metadata
        Platform.setEnvironment("_X_AMZN_TRACE_ID", meta.traceID)
        var logger = base
        logger[metadataKey: "requestId"] = .string(meta.requestID)
        let context = LambdaContext(
            requestID: meta.requestID, deadlineMilliseconds: meta.deadlineMilliseconds,
            invokedFunctionARN: meta.invokedFunctionARN, traceID: meta.traceID, clientContext: meta.clientContext,
            cognitoIdentity: meta.cognitoIdentity, logger: logger
        )
        let response: LambdaResponse
        do {
            response = try handler.respond(to: invocation.event, context: context)
        } catch {
            let report = errorReport(for: error, fallbackType: "Runtime.HandlerError", fallbackMessage: "The handler failed.")
            logger.error("handler error", metadata: ["error.type": "\(report.errorType)"])
            try client.reportError(requestID: meta.requestID, report)
            return
        }
        switch response {
        case .buffered(let bytes):
            try respond(bytes, requestID: meta.requestID, client: &client, logger: logger)
        case .streamed(let stream):
            try respond(streaming: stream, requestID: meta.requestID, client: &client, logger: logger)
        }
    }

    /// `POST /response` with the whole payload, or `Function.ResponseSizeTooLarge` to `/error` past 6 MB.
    private static func respond<Client: RuntimeAPIClient>(
        _ response: [UInt8], requestID: String, client: inout Client, logger: Logger
    ) throws(LambdaRuntimeError) {
        guard response.count <= maxResponseBytes else {
            logger.error("response too large", metadata: ["response.bytes": "\(response.count)"])
            try client.reportError(requestID: requestID, tooLarge(response.count))
            return
        }
        do {
            try client.respond(requestID: requestID, body: response)
        } catch where error.code == .responseTooLarge {
            try client.reportError(requestID: requestID, tooLarge(response.count))
        }
    }

    /// Streams `stream` to `POST /response` chunk by chunk; an error the stream throws ends it with the error
    /// trailers (reported like a handler error, never with the error's own text).
    private static func respond<Client: RuntimeAPIClient>(
        streaming stream: any ResponseStream, requestID: String, client: inout Client, logger: Logger
    ) throws(LambdaRuntimeError) {
        var stream = stream
        var sent = 0
        do {
            try client.respondStreaming(requestID: requestID, contentType: stream.contentType) {
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
