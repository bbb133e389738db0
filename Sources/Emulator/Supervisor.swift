#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging

/// The Lambda state machine for one function: the invocation queue, the single in-flight invocation, the `/next`
/// long polls, and the lifecycle of the function process (spawn, init, timeout, crash, restart, shutdown).
///
/// Invocations are handed out strictly one at a time. A process is started when an invocation is queued and none is
/// running (or eagerly); after a timeout, crash or init failure the process is discarded and the next queued
/// invocation gets a fresh one.
actor Supervisor {
    private let configuration: EmulatorConfiguration
    private let sink: LogSink
    private var runtimeAPI: String?
    private var queue: [PendingInvocation] = []
    private var inFlight: InFlightInvocation?
    private var waiters: [NextWaiter] = []
    private var process: ProcessRecord?
    private var generation = 0
    private var shuttingDown = false
    private var exitWaiters: [Int: CheckedContinuation<Bool, Never>] = [:]
    private var lastExitWaiterID = 0
    /// Open connections that have carried Runtime API requests (the function process's).
    private var runtimeConnections = 0
    /// The exit of the process that held the in-flight invocation, while its connections are still being drained.
    private var exitAwaitingDrain: (requestID: String, exit: ChildExit)?

    init(configuration: EmulatorConfiguration, sink: LogSink) {
        self.configuration = configuration
        self.sink = sink
    }

    /// Records the Runtime API address processes get in `AWS_LAMBDA_RUNTIME_API`; starts the process when eager.
    func activate(runtimeAPI: String) {
        self.runtimeAPI = runtimeAPI
        if configuration.eager && process == nil && !shuttingDown { spawnProcess() }
        pump()
    }

    // MARK: - Invoke side

    /// Queues an invocation and waits for its outcome.
    func invoke(
        payload: [UInt8], clientContext: String?, cognitoIdentity: String?, tenantID: String? = nil
    ) async throws -> InvocationResult {
        guard !shuttingDown else { throw EmulatorError.shutDown }
        guard payload.count <= Limits.maximumPayload else { throw EmulatorError.payloadTooLarge(size: payload.count) }
        return try await withCheckedThrowingContinuation { continuation in
            enqueue(
                payload: payload, clientContext: clientContext, cognitoIdentity: cognitoIdentity, tenantID: tenantID,
                delivery: .buffered(continuation)
            )
        }
    }

    /// Queues an invocation whose answer is delivered part by part (see ``InvocationPart``); returns its request id
    /// and the parts.
    func invokeStreaming(
        payload: [UInt8], clientContext: String?, cognitoIdentity: String?, tenantID: String? = nil
    ) throws -> (requestID: String, parts: AsyncThrowingStream<InvocationPart, any Error>) {
        guard !shuttingDown else { throw EmulatorError.shutDown }
        guard payload.count <= Limits.maximumPayload else { throw EmulatorError.payloadTooLarge(size: payload.count) }
        let (parts, continuation) = AsyncThrowingStream.makeStream(of: InvocationPart.self, throwing: (any Error).self)
        let requestID = enqueue(
            payload: payload, clientContext: clientContext, cognitoIdentity: cognitoIdentity, tenantID: tenantID,
            delivery: .streaming(continuation)
        )
        return (requestID, parts)
    }

    @discardableResult
    private func enqueue(
        payload: [UInt8], clientContext: String?, cognitoIdentity: String?, tenantID: String?, delivery: InvocationDelivery
    ) -> String {
        let requestID = LambdaIdentifiers.requestID()
        queue.append(
            PendingInvocation(
                requestID: requestID,
                payload: payload,
                clientContext: clientContext,
                cognitoIdentity: cognitoIdentity,
                tenantID: tenantID,
                enqueuedAt: .now,
                delivery: delivery
            )
        )
        pump()
        return requestID
    }

    // MARK: - Runtime API side

    /// `GET /runtime/invocation/next`: parks until an invocation is available for the current process.
    func next() async -> NextOutcome {
        guard !shuttingDown else { return .refused(.error(500, type: "Runtime.Unavailable", message: "The emulator is shutting down")) }
        guard var current = process else {
            return .refused(.error(403, type: "InvalidStateTransition", message: "No function process is expected to call /next"))
        }
        if current.initError != nil {
            return .refused(.error(403, type: "InvalidStateTransition", message: "State transition from InitError to Ready failed for runtime. Error: State transition is not allowed"))
        }
        guard current.killReason == nil else {
            return .refused(.error(500, type: "Runtime.Unavailable", message: "The function process is being stopped"))
        }
        if current.firstNextAt == nil {
            let now = ContinuousClock.now
            current.firstNextAt = now
            current.initDurationMs = milliseconds(now - current.spawnedAt)
            current.initTimer?.cancel()
            _ = current.child.peakRSSKiB()
            process = current
        }
        let generation = current.generation
        return await withCheckedContinuation { continuation in
            waiters.append(NextWaiter(generation: generation, continuation: continuation))
            pump()
        }
    }

    /// `POST /runtime/invocation/{id}/response`.
    func postResponse(requestID: String, invocationID: String? = nil, body: [UInt8], receivedBytes: Int) -> HTTPReply {
        guard let current = inFlight, current.requestID == requestID else { return Self.invalidRequestID(requestID) }
        guard Self.matches(invocationID, current) else { return Self.invalidInvocationID }
        guard current.stream == nil else { return Self.streamInProgress }
        if receivedBytes > Limits.maximumPayload {
            finish(
                .failure(
                    type: "Function.ResponseSizeTooLarge",
                    message: "Response payload size (\(receivedBytes) bytes) exceeded maximum allowed payload size (\(Limits.maximumPayload) bytes).",
                    status: "error"
                )
            )
            return .error(413, type: "RequestEntityTooLarge", message: "Exceeded maximum allowed payload size (\(Limits.maximumPayload) bytes).")
        }
        finish(.success(body))
        return .accepted
    }

    /// `POST /runtime/invocation/{id}/error`.
    func postError(requestID: String, invocationID: String? = nil, body: [UInt8], receivedBytes: Int, headerType: String?) -> HTTPReply {
        guard let current = inFlight, current.requestID == requestID else { return Self.invalidRequestID(requestID) }
        guard Self.matches(invocationID, current) else { return Self.invalidInvocationID }
        guard current.stream == nil else { return Self.streamInProgress }
        if receivedBytes > Limits.maximumPayload {
            return postResponse(requestID: requestID, body: [], receivedBytes: receivedBytes)
        }
        let posted = ErrorDocument.normalize(posted: body, headerType: headerType)
        finish(InvocationOutcome(body: posted.body, isError: true, errorType: posted.type, status: nil))
        return .accepted
    }

    /// `POST /runtime/invocation/{id}/response` in streaming mode, when its head arrives: nil when the stream is
    /// accepted (its parts follow through ``streamChunk(requestID:bytes:)`` and ``endStream(requestID:errorType:errorBody:)``),
    /// otherwise the reply to give once the request's body has been read.
    func beginStream(requestID: String, invocationID: String? = nil, contentType: String) -> HTTPReply? {
        guard var current = inFlight, current.requestID == requestID else { return Self.invalidRequestID(requestID) }
        guard Self.matches(invocationID, current) else { return Self.invalidInvocationID }
        guard current.stream == nil else { return Self.streamInProgress }
        current.stream = StreamProgress(contentType: contentType)
        inFlight = current
        current.pending.delivery.yield(.streamStarted(contentType: contentType))
        return nil
    }

    /// Bytes of the streamed response of `requestID`, as they arrive. Past the 20 MiB limit they are discarded;
    /// once the invocation has ended (timeout, crash) they are ignored.
    func streamChunk(requestID: String, bytes: [UInt8]) {
        guard var current = inFlight, current.requestID == requestID, var stream = current.stream, !bytes.isEmpty else { return }
        let room = Limits.maximumStreamedResponse - stream.receivedBytes
        stream.receivedBytes += bytes.count
        if room > 0 {
            let kept = bytes.count <= room ? bytes : Array(bytes[..<room])
            if current.pending.delivery.collectsStream { stream.collected.append(contentsOf: kept) }
            current.pending.delivery.yield(.chunk(kept))
        }
        current.stream = stream
        inFlight = current
    }

    /// The end of the streamed response of `requestID`, with its error trailers if it failed. Ends the invocation:
    /// `Function.ResponseSizeTooLarge` past the limit (answered 413), the posted error (normalized like `/error`)
    /// when the trailers carry one, otherwise success.
    func endStream(requestID: String, errorType: String?, errorBody: String?) -> HTTPReply {
        guard let current = inFlight, current.requestID == requestID, let stream = current.stream else {
            return Self.invalidRequestID(requestID)
        }
        if stream.overflowed {
            finish(
                .failure(
                    type: "Function.ResponseSizeTooLarge",
                    message: "Response payload size (\(stream.receivedBytes) bytes) exceeded maximum allowed payload size (\(Limits.maximumStreamedResponse) bytes).",
                    status: "error"
                )
            )
            return .error(413, type: "RequestEntityTooLarge", message: "Exceeded maximum allowed payload size (\(Limits.maximumStreamedResponse) bytes).")
        }
        let type = errorType.flatMap { $0.isEmpty ? nil : $0 }
        let body = errorBody.flatMap { $0.isEmpty ? nil : $0 }
        guard type != nil || body != nil else {
            finish(.success(stream.collected))
            return .accepted
        }
        // The body is base64; a runtime that sent something else still fails the invocation, with that text.
        let document = body.map { text in
            Data(base64Encoded: text).map { [UInt8]($0) } ?? Array(text.utf8)
        } ?? []
        let posted = ErrorDocument.normalize(posted: document, headerType: type)
        finish(InvocationOutcome(body: posted.body, isError: true, errorType: posted.type, status: nil))
        return .accepted
    }

    /// `POST /runtime/init/error`: allowed once, before the process's first `/next`.
    func postInitError(body: [UInt8], headerType: String?) -> HTTPReply {
        guard var current = process, current.firstNextAt == nil, current.initError == nil, current.killReason == nil else {
            return .error(403, type: "InvalidStateTransition", message: "State transition from Ready to InitError failed for runtime. Error: State transition is not allowed")
        }
        let posted = ErrorDocument.normalize(posted: body, headerType: headerType)
        _ = current.child.peakRSSKiB()
        current.initError = PostedError(type: posted.type, body: posted.body)
        current.initTimer?.cancel()
        process = current
        let generation = current.generation
        Task {
            do { try await Task.sleep(for: .seconds(Limits.initErrorExitGrace)) } catch { return }
            self.killAfterInitError(generation: generation)
        }
        return .accepted
    }

    // MARK: - Shutdown

    /// Fails everything queued or in flight with ``EmulatorError/shutDown``, then stops the process: SIGTERM, up to
    /// two seconds' grace, SIGKILL.
    func shutdown() async {
        guard !shuttingDown else { return }
        shuttingDown = true
        if let current = inFlight {
            inFlight = nil
            current.timer.cancel()
            current.pending.delivery.fail(EmulatorError.shutDown)
        }
        for pending in queue { pending.delivery.fail(EmulatorError.shutDown) }
        queue.removeAll()
        for waiter in waiters {
            waiter.continuation.resume(returning: .refused(.error(500, type: "Runtime.Unavailable", message: "The emulator is shutting down")))
        }
        waiters.removeAll()
        guard var record = process else { return }
        record.initTimer?.cancel()
        record.killReason = .shutdown
        process = record
        record.child.signal(SIGTERM)
        if await waitForExit(seconds: Limits.shutdownGrace) { return }
        record.child.signal(SIGKILL)
        _ = await waitForExit(seconds: Limits.shutdownGrace)
    }

    // MARK: - Scheduling

    /// Starts a process if work is queued and none exists, and hands the queue head to a waiting `/next`.
    private func pump() {
        guard !shuttingDown, runtimeAPI != nil else { return }
        while process == nil && !queue.isEmpty {
            spawnProcess()
        }
        guard inFlight == nil, !queue.isEmpty, let current = process, current.isServing,
              let index = waiters.firstIndex(where: { $0.generation == current.generation })
        else { return }
        let waiter = waiters.remove(at: index)
        handOut(queue.removeFirst(), to: waiter)
    }

    /// Spawns a fresh process; if that fails, the queue head fails with `Runtime.InvalidEntrypoint`.
    private func spawnProcess() {
        guard let runtimeAPI else { return }
        generation += 1
        let generation = self.generation
        let environment = RuntimeEnvironment.make(
            configuration: configuration,
            runtimeAPI: runtimeAPI,
            logStreamName: LambdaIdentifiers.logStreamName(),
            inherited: ProcessInfo.processInfo.environment
        )
        let spawnedAt = ContinuousClock.now
        do {
            let child = try ChildProcess.spawn(
                executable: configuration.bootstrap,
                arguments: configuration.arguments,
                environment: environment,
                directory: configuration.taskRoot,
                onOutput: { [sink] line in sink.emit(line) },
                onExit: { exit in Task { await self.processExited(generation: generation, exit: exit) } }
            )
            let initTimeout = configuration.initTimeout
            let initTimer = Task {
                do { try await Task.sleep(for: .seconds(initTimeout)) } catch { return }
                self.initTimedOut(generation: generation)
            }
            process = ProcessRecord(generation: generation, child: child, spawnedAt: spawnedAt, initTimer: initTimer)
        } catch {
            guard !queue.isEmpty else {
                configuration.logger.error("cannot start the function process: \(error)")
                return
            }
            let pending = queue.removeFirst()
            let message = "RequestId: \(pending.requestID) Error: \(error)"
            complete(
                pending,
                startedAt: pending.enqueuedAt,
                initDurationMs: nil,
                outcome: .failure(type: "Runtime.InvalidEntrypoint", message: message, status: "error"),
                memoryKiB: 0,
                printStart: true,
                messages: [message, "Runtime.InvalidEntrypoint"]
            )
        }
    }

    private func handOut(_ pending: PendingInvocation, to waiter: NextWaiter) {
        guard var current = process else { return }
        var initDuration: Double?
        if !current.initDurationReported {
            initDuration = current.initDurationMs
            current.initDurationReported = true
            process = current
        }
        let timeout = configuration.timeout
        let requestID = pending.requestID
        let invocationID = LambdaIdentifiers.requestID()
        let now = Date()
        let event = NextEvent(
            requestID: requestID,
            payload: pending.payload,
            deadlineMs: LambdaIdentifiers.epochMilliseconds(now) + Int64((timeout * 1000).rounded()),
            functionARN: LambdaIdentifiers.functionARN(region: configuration.effectiveRegion, functionName: configuration.functionName),
            traceID: LambdaIdentifiers.traceID(now: now),
            clientContext: pending.clientContext,
            cognitoIdentity: pending.cognitoIdentity,
            tenantID: pending.tenantID,
            invocationID: invocationID
        )
        _ = current.child.peakRSSKiB()
        sink.line("START RequestId: \(requestID) Version: $LATEST")
        let timer = Task {
            do { try await Task.sleep(for: .seconds(timeout)) } catch { return }
            self.invocationTimedOut(requestID: requestID)
        }
        inFlight = InFlightInvocation(
            pending: pending,
            invocationID: invocationID,
            generation: current.generation,
            startedAt: .now,
            initDurationMs: initDuration,
            timer: timer
        )
        waiter.continuation.resume(returning: .event(event))
    }

    /// Ends the in-flight invocation with `outcome` and moves on to the next one.
    private func finish(_ outcome: InvocationOutcome, memoryKiB: Int? = nil, messages: [String] = []) {
        guard let current = inFlight else { return }
        inFlight = nil
        var outcome = outcome
        if let stream = current.stream {
            outcome.streamed = true
            outcome.streamedBytes = stream.deliveredBytes
            // A streaming caller already has the bytes; a buffered one gets them (or the error) as the body.
            if !outcome.isError, !current.pending.delivery.collectsStream { outcome.body = [] }
        }
        current.timer.cancel()
        let memory = memoryKiB ?? process.flatMap { $0.generation == current.generation ? $0.child.peakRSSKiB() : nil } ?? 0
        complete(
            current.pending,
            startedAt: current.startedAt,
            initDurationMs: current.initDurationMs,
            outcome: outcome,
            memoryKiB: memory,
            printStart: false,
            messages: messages
        )
        pump()
    }

    /// Logs `messages`, END and REPORT (after START, for invocations that never reached the function) and resumes
    /// the invoker.
    private func complete(
        _ pending: PendingInvocation,
        startedAt: ContinuousClock.Instant,
        initDurationMs: Double?,
        outcome: InvocationOutcome,
        memoryKiB: Int,
        printStart: Bool,
        messages: [String] = []
    ) {
        let requestID = pending.requestID
        let duration = milliseconds(.now - startedAt)
        let billed = max(1, Int(duration.rounded(.up)))
        let memoryMB = (memoryKiB + 1023) / 1024
        var report = "REPORT RequestId: \(requestID)\tDuration: \(Self.fixed(duration)) ms\tBilled Duration: \(billed) ms"
            + "\tMemory Size: \(configuration.memorySize) MB\tMax Memory Used: \(memoryMB) MB"
        if let initDurationMs { report += "\tInit Duration: \(Self.fixed(initDurationMs)) ms" }
        if let status = outcome.status {
            report += "\tStatus: \(status)"
            if status == "error", let type = outcome.errorType { report += "\tError Type: \(type)" }
        }
        if printStart { sink.line("START RequestId: \(requestID) Version: $LATEST") }
        for message in messages { sink.line(message) }
        sink.line("END RequestId: \(requestID)")
        sink.line(report)
        pending.delivery.complete(
            InvocationResult(
                requestID: requestID,
                body: outcome.body,
                isError: outcome.isError,
                errorType: outcome.errorType,
                durationMs: duration,
                billedDurationMs: billed,
                initDurationMs: initDurationMs,
                maxMemoryUsedMB: memoryMB,
                status: outcome.status,
                reportLine: report,
                streamed: outcome.streamed,
                streamedBytes: outcome.streamedBytes
            )
        )
    }

    // MARK: - Process events

    private func processExited(generation: Int, exit: ChildExit) {
        guard let record = process, record.generation == generation else { return }
        process = nil
        record.initTimer?.cancel()
        let stale = waiters.filter { $0.generation == generation }
        waiters.removeAll { $0.generation == generation }
        for waiter in stale {
            waiter.continuation.resume(returning: .refused(.error(500, type: "Runtime.Unavailable", message: "The function process has exited")))
        }
        let now = ContinuousClock.now
        if let current = inFlight, current.generation == generation {
            if runtimeConnections > 0 {
                // What the process sent before it died may still sit unread in its connection (a stream's last
                // chunks, a posted response): read it all before deciding how the invocation ended.
                let requestID = current.requestID
                exitAwaitingDrain = (requestID, exit)
                Task {
                    do { try await Task.sleep(for: .seconds(Limits.exitDrainGrace)) } catch { return }
                    self.settleExit(requestID: requestID)
                }
            } else {
                finishAfterExit(requestID: current.requestID, exit: exit)
            }
        } else if let initError = record.initError, !queue.isEmpty {
            let pending = queue.removeFirst()
            complete(
                pending,
                startedAt: max(pending.enqueuedAt, record.spawnedAt),
                initDurationMs: milliseconds(now - record.spawnedAt),
                outcome: InvocationOutcome(body: initError.body, isError: true, errorType: initError.type, status: "error"),
                memoryKiB: exit.maxRSSKiB,
                printStart: true
            )
        } else if record.firstNextAt == nil, record.killReason == nil, !queue.isEmpty {
            let pending = queue.removeFirst()
            let message = Self.exitMessage(requestID: pending.requestID, status: exit.status)
            complete(
                pending,
                startedAt: max(pending.enqueuedAt, record.spawnedAt),
                initDurationMs: milliseconds(now - record.spawnedAt),
                outcome: .failure(type: "Runtime.ExitError", message: message, status: "error"),
                memoryKiB: exit.maxRSSKiB,
                printStart: true,
                messages: [message, "Runtime.ExitError"]
            )
        }
        let exitWaiters = self.exitWaiters
        self.exitWaiters.removeAll()
        for waiter in exitWaiters.values { waiter.resume(returning: true) }
        pump()
    }

    /// Ends the in-flight invocation `requestID` with `Runtime.ExitError`, unless it has ended already.
    private func finishAfterExit(requestID: String, exit: ChildExit) {
        guard let current = inFlight, current.requestID == requestID else { return }
        let message = Self.exitMessage(requestID: requestID, status: exit.status)
        finish(
            .failure(type: "Runtime.ExitError", message: message, status: "error"),
            memoryKiB: exit.maxRSSKiB,
            messages: [message, "Runtime.ExitError"]
        )
    }

    /// Settles an exit that was waiting for the dead process's connections to drain.
    private func settleExit(requestID: String) {
        guard let pending = exitAwaitingDrain, pending.requestID == requestID else { return }
        exitAwaitingDrain = nil
        finishAfterExit(requestID: requestID, exit: pending.exit)
    }

    // MARK: - Runtime API connections

    /// A connection carried its first Runtime API request.
    func runtimeConnectionOpened() {
        runtimeConnections += 1
    }

    /// A connection that carried Runtime API requests has closed, everything it sent having been handled.
    func runtimeConnectionClosed() {
        runtimeConnections = max(0, runtimeConnections - 1)
        if runtimeConnections == 0, let pending = exitAwaitingDrain { settleExit(requestID: pending.requestID) }
    }

    private func invocationTimedOut(requestID: String) {
        guard let current = inFlight, current.requestID == requestID else { return }
        var memory = 0
        if var record = process, record.generation == current.generation {
            memory = record.child.peakRSSKiB() ?? 0
            record.killReason = .timeout
            process = record
            record.child.signal(SIGKILL)
        }
        let message = "\(LambdaIdentifiers.timestamp()) \(requestID) Task timed out after \(Self.fixed(configuration.timeout)) seconds"
        finish(.failure(type: "Sandbox.Timedout", message: message, status: "timeout"), memoryKiB: memory, messages: [message])
    }

    private func initTimedOut(generation: Int) {
        guard var record = process, record.generation == generation, record.firstNextAt == nil, record.isServing else { return }
        let memory = record.child.peakRSSKiB() ?? 0
        record.killReason = .initTimeout
        process = record
        record.child.signal(SIGKILL)
        guard !queue.isEmpty else { return }
        let pending = queue.removeFirst()
        let message = "RequestId: \(pending.requestID) Error: Runtime init timed out after \(Self.fixed(configuration.initTimeout)) seconds"
        complete(
            pending,
            startedAt: max(pending.enqueuedAt, record.spawnedAt),
            initDurationMs: milliseconds(.now - record.spawnedAt),
            outcome: .failure(type: "Sandbox.Timedout", message: message, status: "timeout"),
            memoryKiB: memory,
            printStart: true,
            messages: [message]
        )
    }

    private func killAfterInitError(generation: Int) {
        guard var record = process, record.generation == generation, record.killReason == nil else { return }
        record.killReason = .initError
        process = record
        record.child.signal(SIGKILL)
    }

    /// Waits until the current process has exited, or `seconds` pass; true if it exited.
    private func waitForExit(seconds: Double) async -> Bool {
        guard process != nil else { return true }
        lastExitWaiterID += 1
        let id = lastExitWaiterID
        let timer = Task {
            do { try await Task.sleep(for: .seconds(seconds)) } catch { return }
            self.exitWaitTimedOut(id: id)
        }
        let exited = await withCheckedContinuation { continuation in
            exitWaiters[id] = continuation
        }
        timer.cancel()
        return exited
    }

    private func exitWaitTimedOut(id: Int) {
        exitWaiters.removeValue(forKey: id)?.resume(returning: false)
    }

    // MARK: - Formatting

    /// An answer may name its invocation (`Lambda-Runtime-Invocation-Id`, as AWS's runtimes echo it); one that
    /// names another is not this invocation's. Runtimes that send none are taken at their request id.
    private static func matches(_ invocationID: String?, _ current: InFlightInvocation) -> Bool {
        invocationID.map { $0 == current.invocationID } ?? true
    }

    private static let invalidInvocationID = HTTPReply.error(
        400, type: "InvalidInvocationID", message: "The answer's Lambda-Runtime-Invocation-Id is not the invocation in progress"
    )

    private static func invalidRequestID(_ requestID: String) -> HTTPReply {
        .error(400, type: "InvalidRequestID", message: "Invalid request ID: \(requestID) is not the invocation in progress")
    }

    private static let streamInProgress = HTTPReply.error(
        403, type: "InvalidStateTransition", message: "The invocation's response is already being streamed"
    )

    private static func exitMessage(requestID: String, status: ExitStatus) -> String {
        if status == .exited(0) {
            return "RequestId: \(requestID) Error: Runtime exited without providing a reason"
        }
        return "RequestId: \(requestID) Error: Runtime exited with error: \(status.lambdaDescription)"
    }

    private static func fixed(_ value: Double) -> String {
        String(format: "%.2f", value)
    }
}

/// A duration in (fractional) milliseconds.
private func milliseconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) * 1000 + Double(parts.attoseconds) / 1e15
}
