import Synchronization

/// A local AWS Lambda execution environment for one function.
///
/// It serves the Lambda Runtime API (`/2018-06-01/runtime/...`) and an RIE-style invoke endpoint
/// (`POST /2015-03-31/functions/{name}/invocations`) on one HTTP/1.1 port, runs the configured executable as the
/// function process with Lambda's environment, and hands it invocations one at a time (or, on Managed Instances, up to
/// ``EmulatorConfiguration/maxConcurrency`` at once) with Lambda's timeout, crash, init-error and payload-limit
/// semantics. It also serves the Extensions API for internal extensions, and stops the process as Lambda's shutdown
/// phase does. Every invocation is logged as `START`/`END`/`REPORT` lines. docs/EMULATOR.md has the details.
///
/// ```swift
/// let emulator = Emulator(configuration: EmulatorConfiguration(bootstrap: "dist/calculate_health/bootstrap"))
/// let port = try await emulator.start()
/// let result = try await emulator.invoke(event: Array(#"{"x":1}"#.utf8))
/// await emulator.shutdown()
/// ```
///
/// Always call ``shutdown()``: it is what stops the function process.
public final class Emulator: Sendable {
    /// The configuration the emulator was created with.
    public let configuration: EmulatorConfiguration
    private let supervisor: Supervisor
    private let server: RuntimeAPIServer
    private let lifecycle = Mutex(LifecycleState())

    /// Creates an emulator; nothing runs until ``start()``.
    public init(configuration: EmulatorConfiguration) {
        self.configuration = configuration
        let supervisor = Supervisor(configuration: configuration, sink: LogSink(destination: configuration.logDestination))
        self.supervisor = supervisor
        self.server = RuntimeAPIServer(
            router: RuntimeAPIRouter(supervisor: supervisor, configuration: configuration), logger: configuration.logger
        )
    }

    /// Binds the HTTP server and returns its port (the chosen one when the configured port is 0). With
    /// ``EmulatorConfiguration/eager`` the function process is started too; otherwise on the first invoke.
    public func start() async throws -> Int {
        try lifecycle.withLock { state throws(EmulatorError) in
            guard case .idle = state.phase else { throw EmulatorError.alreadyStarted }
            state.phase = .starting
        }
        let port: Int
        do {
            port = try await server.start(host: configuration.host, port: configuration.port)
        } catch {
            lifecycle.withLock { $0.phase = .idle }
            throw error
        }
        await supervisor.activate(runtimeAPI: Self.runtimeAPIAddress(host: configuration.host, port: port))
        lifecycle.withLock { state in
            if case .starting = state.phase { state.phase = .running(port: port) }
        }
        return port
    }

    /// The bound port while running.
    public var port: Int? {
        lifecycle.withLock { state in
            if case .running(let port) = state.phase { return port }
            return nil
        }
    }

    /// Runs one invocation in-process (no HTTP on the invoke side) and returns its outcome; queued behind any
    /// invocation already running. Function failures (errors, timeouts, crashes) are results, not throws. A streamed
    /// response arrives collected in the result's body (at most 20 MiB; past it the result is the error).
    ///
    /// - Parameters:
    ///   - event: The event payload, at most 6 MB.
    ///   - clientContext: Client context as JSON text (already decoded), passed as `Lambda-Runtime-Client-Context`.
    ///   - cognitoIdentity: Cognito identity as JSON text, passed as `Lambda-Runtime-Cognito-Identity`.
    ///   - tenantID: The Invoke API's `X-Amz-Tenant-Id`, passed as `Lambda-Runtime-Aws-Tenant-Id`; required in tenant
    ///     isolation mode.
    ///   - capturesLog: Collect the invocation's log into the result's ``InvocationResult/logTail``
    ///     (`X-Amz-Log-Type: Tail`).
    /// - Throws: ``EmulatorError/notStarted``, ``EmulatorError/shutDown``, ``EmulatorError/payloadTooLarge(size:)``,
    ///   ``EmulatorError/tenantIDRequired``, ``EmulatorError/tooManyRequests(maxConcurrency:)`` (Managed Instances).
    public func invoke(
        event: [UInt8], clientContext: String? = nil, cognitoIdentity: String? = nil, tenantID: String? = nil,
        capturesLog: Bool = false
    ) async throws -> InvocationResult {
        try checkRunning()
        return try await supervisor.invoke(
            payload: event, clientContext: clientContext, cognitoIdentity: cognitoIdentity, tenantID: tenantID,
            capturesLog: capturesLog
        )
    }

    /// Runs one invocation and delivers its answer as it arrives: streamed responses chunk by chunk (see
    /// ``InvocationPart``), buffered ones as a single ``InvocationPart/finished(_:)``. A stream that fails midway
    /// (error trailers, timeout, crash, the 20 MiB limit) ends with a ``InvocationPart/finished(_:)`` whose result
    /// is the error; the parts stream itself throws only ``EmulatorError/shutDown``.
    ///
    /// - Throws: as ``invoke(event:clientContext:cognitoIdentity:tenantID:capturesLog:)``, before anything is
    ///   delivered.
    public func invokeStreaming(
        event: [UInt8], clientContext: String? = nil, cognitoIdentity: String? = nil, tenantID: String? = nil
    ) async throws -> AsyncThrowingStream<InvocationPart, any Error> {
        try checkRunning()
        return try await supervisor.invokeStreaming(
            payload: event, clientContext: clientContext, cognitoIdentity: cognitoIdentity, tenantID: tenantID
        ).parts
    }

    private func checkRunning() throws(EmulatorError) {
        let phase = lifecycle.withLock { $0.phase }
        switch phase {
        case .running:
            return
        case .idle, .starting:
            throw EmulatorError.notStarted
        case .stopping, .stopped:
            throw EmulatorError.shutDown
        }
    }

    /// Fails queued and running invocations with ``EmulatorError/shutDown``, stops the function process as Lambda's
    /// shutdown phase does (SIGTERM then SIGKILL after 500 ms when an extension is registered, else SIGKILL), and
    /// closes the server. Safe to call more than once; later calls wait for the first.
    public func shutdown() async {
        let first = lifecycle.withLock { state -> Bool in
            switch state.phase {
            case .stopping, .stopped:
                return false
            case .idle, .starting, .running:
                state.phase = .stopping
                return true
            }
        }
        guard first else {
            await waitUntilShutdown()
            return
        }
        await supervisor.shutdown()
        await server.stop()
        let waiters = lifecycle.withLock { state in
            state.phase = .stopped
            defer { state.shutdownWaiters.removeAll() }
            return state.shutdownWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once ``shutdown()`` has completed (from any caller, e.g. a signal handler).
    public func waitUntilShutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = lifecycle.withLock { state -> Bool in
                if case .stopped = state.phase { return true }
                state.shutdownWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// `AWS_LAMBDA_RUNTIME_API` for a server bound to `host:port` (wildcard hosts are reached via loopback).
    static func runtimeAPIAddress(host: String, port: Int) -> String {
        switch host {
        case "", "0.0.0.0":
            return "127.0.0.1:\(port)"
        case "::", "[::]":
            return "[::1]:\(port)"
        default:
            if host.contains(":") && !host.hasPrefix("[") { return "[\(host)]:\(port)" }
            return "\(host):\(port)"
        }
    }
}
