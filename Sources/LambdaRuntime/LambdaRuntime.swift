public import Logging
internal import Curl
internal import Platform

/// Lambda's limit on a synchronous response payload (6 MB).
public let maxResponseBytes = 6 * 1024 * 1024

/// What a handler factory gets at init: the environment's logger, and which worker the handler is for. Init must not
/// touch the network.
public struct InitContext: Sendable {
    /// The process logger (no request id yet).
    public let logger: Logger
    /// The worker the handler serves, from 0 to `workers - 1`.
    public let worker: Int
    /// How many workers the process runs (`AWS_LAMBDA_MAX_CONCURRENCY`, 1 outside Lambda Managed Instances).
    public let workers: Int

    public init(logger: Logger, worker: Int = 0, workers: Int = 1) {
        self.logger = logger
        self.worker = worker
        self.workers = workers
    }
}

/// The invocation loop: `GET next` → handler → `POST response` or `POST error`, for the life of the process.
public enum LambdaRuntime {
    /// Runs a function: sets up logging from `AWS_LAMBDA_LOG_FORMAT` / `AWS_LAMBDA_LOG_LEVEL`, registers the internal
    /// extension that lets Lambda send SIGTERM at shutdown (``ShutdownExtension``), then runs
    /// `AWS_LAMBDA_MAX_CONCURRENCY` workers (1 when unset or below 1; Lambda Managed Instances set it), each with its
    /// own handler from `makeHandler`, its own Runtime API connection and its own thread (worker 0 runs on the main
    /// thread). The first handler is built before anything polls `/next`: its failure is posted to `/init/error` and
    /// the process exits 1. On SIGTERM every worker finishes the invocation it holds, closes its handler
    /// (``ByteHandler/shutdown()``: database connections) and the process exits 0.
    public static func run<Handler: ByteHandler>(_ makeHandler: @escaping @Sendable (InitContext) throws -> Handler) -> Never {
        run(shared: { _ in () }, handler: { _, context in try makeHandler(context) })
    }

    /// ``run(_:)`` with state shared by every worker: `makeShared` runs once, on the main thread, before any handler
    /// is built (its failure is posted to `/init/error`); each worker's handler gets it. It must be `Sendable` — a
    /// secrets cache, a key ring, configuration — so the compiler checks that sharing it is safe.
    public static func run<Shared: Sendable, Handler: ByteHandler>(
        shared makeShared: (InitContext) throws -> Shared,
        handler makeHandler: @escaping @Sendable (Shared, InitContext) throws -> Handler
    ) -> Never {
        let logger = bootstrapLogging()
        guard let api = Platform.environment("AWS_LAMBDA_RUNTIME_API") else {
            logger.critical("AWS_LAMBDA_RUNTIME_API is not set: this program runs inside AWS Lambda or `warden emulate`")
            Platform.exit(1)
        }
        let workers = workerCount(Platform.environment("AWS_LAMBDA_MAX_CONCURRENCY"))
        let stop = TerminationSignal.install()
        if stop == nil { logger.warning("SIGTERM handling could not be set up: a shutdown ends the process at once") }
        let lifecycle = Lifecycle(workers: workers, stopDescriptor: stop)
        var client: CurlRuntimeClient
        do {
            client = try runtimeClient(api, lifecycle)
        } catch {
            logger.critical("Runtime API client could not start", metadata: ["error.code": "\(error.code.rawValue)"])
            Platform.exit(1)
        }
        let parkedExtension = ShutdownExtension.register(runtimeAPI: api, logger: logger)
        var handler: Handler
        let shared: Shared
        do {
            let context = InitContext(logger: logger, worker: 0, workers: workers)
            shared = try makeShared(context)
            handler = try makeHandler(shared, context)
        } catch {
            let report = errorReport(for: error, fallbackType: "Runtime.InitError", fallbackMessage: "Function initialization failed.")
            logger.critical("initialization failed", metadata: ["error.type": "\(report.errorType)"])
            try? client.reportInitError(report)
            Platform.exit(1)
        }
        for worker in 1..<max(workers, 1) {
            let started = Threads.start {
                startWorker(worker, of: workers, runtimeAPI: api, lifecycle: lifecycle, logger: logger) { context in
                    try makeHandler(shared, context)
                }
            }
            if !started {
                logger.critical("worker thread could not start", metadata: ["worker": "\(worker)"])
                Platform.exit(1)
            }
        }
        // The extension's connection must live as long as the process.
        withExtendedLifetime(parkedExtension) {
            work(&handler, client: &client, logger: logger, lifecycle: lifecycle)
        }
    }

    /// A worker's Runtime API client, on a multi handle of its own that watches the termination descriptor.
    private static func runtimeClient(_ api: String, _ lifecycle: Lifecycle) throws(LambdaRuntimeError) -> CurlRuntimeClient {
        let multi: CurlMulti
        do {
            multi = try CurlMulti(stopWhenReadable: lifecycle.stopDescriptor)
        } catch {
            throw LambdaRuntimeError(.runtimeAPIUnavailable, detail: error.description)
        }
        return try CurlRuntimeClient(runtimeAPI: api, multi: multi)
    }

    /// `AWS_LAMBDA_MAX_CONCURRENCY` as a worker count: a positive integer, else 1.
    static func workerCount(_ setting: String?) -> Int {
        guard let setting, let n = Int(setting), n >= 1 else { return 1 }
        return min(n, Lifecycle.maxWorkers)
    }

    /// Worker `worker` (≥ 1), on its own thread: its own handler and Runtime API connection, then the loop. It was
    /// proven at init that a handler can be built; one that fails now ends the process (Lambda starts another).
    private static func startWorker<Handler: ByteHandler>(
        _ worker: Int, of workers: Int, runtimeAPI: String, lifecycle: Lifecycle, logger: Logger,
        makeHandler: @Sendable (InitContext) throws -> Handler
    ) -> Never {
        var workerLogger = logger
        workerLogger[metadataKey: "worker"] = "\(worker)"
        var client: CurlRuntimeClient
        var handler: Handler
        do {
            client = try runtimeClient(runtimeAPI, lifecycle)
            handler = try makeHandler(InitContext(logger: logger, worker: worker, workers: workers))
        } catch {
            workerLogger.critical("worker could not start", metadata: ["error.type": "\(type(of: error))"])
            Platform.exit(1)
        }
        work(&handler, client: &client, logger: logger, lifecycle: lifecycle)
    }

    /// One worker's loop: ``step(_:client:logger:exportsTraceID:)`` until SIGTERM (then the handler is shut down and the
    /// worker counted out; the last one out ends the process with 0) or a failing `/next` (the process exits 1).
    static func work<Handler: ByteHandler, Client: RuntimeAPIClient>(
        _ handler: inout Handler, client: inout Client, logger: Logger, lifecycle: Lifecycle
    ) -> Never {
        let exportsTraceID = lifecycle.workers == 1
        while !lifecycle.isTerminating {
            if case .exit(let status) = step(&handler, client: &client, logger: logger, exportsTraceID: exportsTraceID) {
                if status != 0 { Platform.exit(status) }
                break
            }
        }
        handler.shutdown()
        lifecycle.finish()
    }

    /// What the loop does after one ``step(_:client:logger:)``.
    public enum StepOutcome: Sendable, Equatable {
        /// Poll `/next` again.
        case next
        /// Stop this worker: 1 when `/next` failed (the process ends), 0 when shutdown interrupted `/next` before
        /// any invocation arrived.
        case exit(Int32)
    }

    /// One turn of the loop: `GET /next`, the handler, the answer. Only a failing `/next` ends the process: an
    /// answer the Runtime API refuses (410 for an invocation that is already over, any other 4xx or 5xx) or cannot
    /// take is logged, and the loop goes on to the next invocation. An invocation `/next` has begun to deliver is
    /// always served, SIGTERM or not (shutdown interrupts only a `/next` that has received nothing).
    ///
    /// `exportsTraceID`: set `_X_AMZN_TRACE_ID` in the process environment for the invocation, as Lambda's runtimes
    /// do; only with a single worker, since the environment is shared by every thread.
    public static func step<Handler: ByteHandler, Client: RuntimeAPIClient>(
        _ handler: inout Handler, client: inout Client, logger: Logger, exportsTraceID: Bool = true
    ) -> StepOutcome {
        let invocation: Invocation
        do {
            invocation = try client.next()
        } catch where error.code == .interrupted {
            return .exit(0)
        } catch {
            logger.critical("Runtime API failure", metadata: ["error.code": "\(error.code.rawValue)", "error.detail": "\(error.detail)"])
            return .exit(1)
        }
        if exportsTraceID { Platform.setEnvironment("_X_AMZN_TRACE_ID", invocation.metadata.traceID) }
        do {
            try handle(invocation, with: &handler, client: &client, logger: logger)
        } catch {
            logger.error(
                "answer not delivered",
                metadata: ["requestId": "\(invocation.metadata.requestID)", "error.code": "\(error.code.rawValue)", "error.detail": "\(error.detail)"]
            )
        }
        return .next
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
