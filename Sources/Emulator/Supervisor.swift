#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Bytes
import Foundation
import Logging

/// The Lambda state machine for one function: the invocation queue, the invocations in flight, the `/next` long
/// polls, the internal extensions, and the lifecycle of the function process (spawn, init, timeout, crash, restart,
/// shutdown).
///
/// By default (Lambda's on-demand model) invocations are handed out one at a time and queued behind each other; a
/// timeout kills the process. On Managed Instances (``EmulatorConfiguration/isManagedInstances``) up to
/// ``EmulatorConfiguration/maxConcurrency`` run at once, one per `/next` poll, an invoke beyond that is refused, and
/// a timeout fails the invocation but leaves the process running. A process is started when an invocation is queued
/// and none is running (or eagerly); after a crash or init failure the next queued invocation gets a fresh one.
actor Supervisor {
    private let configuration: EmulatorConfiguration
    private let sink: LogSink
    private let logs: InvocationLogs
    private var runtimeAPI: String?
    private var queue: [PendingInvocation] = []
    private var inFlight: [String: InFlightInvocation] = [:]
    private var waiters: [NextWaiter] = []
    private var extensionWaiters: [ExtensionWaiter] = []
    private var process: ProcessRecord?
    private var generation = 0
    private var shuttingDown = false
    private var exitWaiters: [Int: CheckedContinuation<Bool, Never>] = [:]
    private var lastExitWaiterID = 0
    /// Open connections that have carried Runtime API requests (the function process's).
    private var runtimeConnections = 0
    /// The exit of a process that held invocations in flight, while its connections are still being drained.
    private var exitAwaitingDrain: (generation: Int, exit: ChildExit)?
    /// Request ids whose invocations timed out: a late answer gets `410`.
    private var timedOut = TimedOutInvocations()

    init(configuration: EmulatorConfiguration, sink: LogSink) {
        self.configuration = configuration
        self.sink = sink
        self.logs = InvocationLogs(attributesByRequestID: configuration.maxConcurrency > 1)
    }

    /// Records the Runtime API address processes get in `AWS_LAMBDA_RUNTIME_API`; starts the process when eager.
    func activate(runtimeAPI: String) {
        self.runtimeAPI = runtimeAPI
        if configuration.eager && process == nil && !shuttingDown { spawnProcess() }
        pump()
    }

    // MARK: - Invoke side

    /// Queues an invocation and waits for its outcome.
    ///
    /// - Parameter admitsBeyondCapacity: an asynchronous (`Event`) invoke, which Lambda queues itself: never refused
    ///   for want of a free worker.
    func invoke(
        payload: [UInt8], clientContext: String?, cognitoIdentity: String?, tenantID: String? = nil, capturesLog: Bool = false,
        admitsBeyondCapacity: Bool = false
    ) async throws -> InvocationResult {
        try admit(payload: payload, tenantID: tenantID, beyondCapacity: admitsBeyondCapacity)
        return try await withCheckedThrowingContinuation { continuation in
            enqueue(
                payload: payload, clientContext: clientContext, cognitoIdentity: cognitoIdentity, tenantID: tenantID,
                capturesLog: capturesLog, delivery: .buffered(continuation)
            )
        }
    }

    /// Queues an invocation whose answer is delivered part by part (see ``InvocationPart``); returns its request id
    /// and the parts.
    func invokeStreaming(
        payload: [UInt8], clientContext: String?, cognitoIdentity: String?, tenantID: String? = nil, capturesLog: Bool = false
    ) throws -> (requestID: String, parts: AsyncThrowingStream<InvocationPart, any Error>) {
        try admit(payload: payload, tenantID: tenantID, beyondCapacity: false)
        let (parts, continuation) = AsyncThrowingStream.makeStream(of: InvocationPart.self, throwing: (any Error).self)
        let requestID = enqueue(
            payload: payload, clientContext: clientContext, cognitoIdentity: cognitoIdentity, tenantID: tenantID,
            capturesLog: capturesLog, delivery: .streaming(continuation)
        )
        return (requestID, parts)
    }

    /// Refuses what Lambda's Invoke API refuses before any function code runs.
    private func admit(payload: [UInt8], tenantID: String?, beyondCapacity: Bool) throws(EmulatorError) {
        guard !shuttingDown else { throw EmulatorError.shutDown }
        guard payload.count <= Limits.maximumPayload else { throw EmulatorError.payloadTooLarge(size: payload.count) }
        if configuration.tenantIsolation && tenantID == nil { throw EmulatorError.tenantIDRequired }
        // Managed Instances reject an invoke when every runtime worker is busy, to protect the invocations in flight
        // (https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-execution-environment.html,
        // "Backpressure handling"); the Invoke API answers 429 TooManyRequestsException
        // (https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-troubleshooting.html). A worker is
        // busy with a queued or running invocation, or with one that timed out and has not answered yet.
        if configuration.isManagedInstances && !beyondCapacity && busyWorkers >= configuration.maxConcurrency {
            throw EmulatorError.tooManyRequests(maxConcurrency: configuration.maxConcurrency)
        }
    }

    private var busyWorkers: Int {
        queue.count + inFlight.count + (process?.stale.count ?? 0)
    }

    @discardableResult
    private func enqueue(
        payload: [UInt8], clientContext: String?, cognitoIdentity: String?, tenantID: String?, capturesLog: Bool,
        delivery: InvocationDelivery
    ) -> String {
        let requestID = LambdaIdentifiers.requestID()
        queue.append(
            PendingInvocation(
                requestID: requestID,
                payload: payload,
                clientContext: clientContext,
                cognitoIdentity: cognitoIdentity,
                tenantID: tenantID,
                capturesLog: capturesLog,
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
        guard var current = process else {
            return .refused(.error(403, type: "InvalidStateTransition", message: "No function process is expected to call /next"))
        }
        if current.initError != nil {
            return .refused(.error(403, type: "InvalidStateTransition", message: "State transition from InitError to Ready failed for runtime. Error: State transition is not allowed"))
        }
        guard current.killReason == nil || shuttingDown else {
            return .refused(.error(500, type: "Runtime.Unavailable", message: "The function process is being stopped"))
        }
        if current.firstNextAt == nil {
            // The end of the init phase; extension registration closes with it.
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
        guard let current = inFlight[requestID] else { return answerWithoutInvocation(requestID) }
        guard Self.matches(invocationID, current) else { return Self.invalidInvocationID }
        guard current.stream == nil else { return Self.streamInProgress }
        if receivedBytes > Limits.maximumPayload {
            finish(
                requestID,
                .failure(
                    type: "Function.ResponseSizeTooLarge",
                    message: "Response payload size (\(receivedBytes) bytes) exceeded maximum allowed payload size (\(Limits.maximumPayload) bytes).",
                    status: "error"
                )
            )
            return .error(413, type: "RequestEntityTooLarge", message: "Exceeded maximum allowed payload size (\(Limits.maximumPayload) bytes).")
        }
        finish(requestID, .success(body))
        return .accepted
    }

    /// `POST /runtime/invocation/{id}/error`.
    func postError(requestID: String, invocationID: String? = nil, body: [UInt8], receivedBytes: Int, headerType: String?) -> HTTPReply {
        guard let current = inFlight[requestID] else { return answerWithoutInvocation(requestID) }
        guard Self.matches(invocationID, current) else { return Self.invalidInvocationID }
        guard current.stream == nil else { return Self.streamInProgress }
        if receivedBytes > Limits.maximumPayload {
            return postResponse(requestID: requestID, body: [], receivedBytes: receivedBytes)
        }
        let posted = ErrorDocument.normalize(posted: body, headerType: headerType)
        finish(requestID, InvocationOutcome(body: posted.body, isError: true, errorType: posted.type, status: nil))
        return .accepted
    }

    /// `POST /runtime/invocation/{id}/response` in streaming mode, when its head arrives: nil when the stream is
    /// accepted (its parts follow through ``streamChunk(requestID:bytes:)`` and ``endStream(requestID:errorType:errorBody:)``),
    /// otherwise the reply to give once the request's body has been read.
    func beginStream(requestID: String, invocationID: String? = nil, contentType: String) -> HTTPReply? {
        guard var current = inFlight[requestID] else { return answerWithoutInvocation(requestID) }
        guard Self.matches(invocationID, current) else { return Self.invalidInvocationID }
        guard current.stream == nil else { return Self.streamInProgress }
        current.stream = StreamProgress(contentType: contentType)
        inFlight[requestID] = current
        current.pending.delivery.yield(.streamStarted(contentType: contentType))
        return nil
    }

    /// Bytes of the streamed response of `requestID`, as they arrive. Past the 20 MiB limit they are discarded;
    /// once the invocation has ended (timeout, crash) they are ignored.
    func streamChunk(requestID: String, bytes: [UInt8]) {
        guard var current = inFlight[requestID], var stream = current.stream, !bytes.isEmpty else { return }
        let room = Limits.maximumStreamedResponse - stream.receivedBytes
        stream.receivedBytes += bytes.count
        if room > 0 {
            let kept = bytes.count <= room ? bytes : Array(bytes[..<room])
            if current.pending.delivery.collectsStream { stream.collected.append(contentsOf: kept) }
            current.pending.delivery.yield(.chunk(kept))
        }
        current.stream = stream
        inFlight[requestID] = current
    }

    /// The end of the streamed response of `requestID`, with its error trailers if it failed. Ends the invocation:
    /// `Function.ResponseSizeTooLarge` past the limit (answered 413), the posted error (normalized like `/error`)
    /// when the trailers carry one, otherwise success.
    func endStream(requestID: String, errorType: String?, errorBody: String?) -> HTTPReply {
        guard let current = inFlight[requestID], let stream = current.stream else {
            return answerWithoutInvocation(requestID)
        }
        if stream.overflowed {
            finish(
                requestID,
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
            finish(requestID, .success(stream.collected))
            return .accepted
        }
        // The body is base64; a runtime that sent something else still fails the invocation, with that text.
        let document = body.map { text in
            Base64.lenientPadded.decode(text) ?? Array(text.utf8)
        } ?? []
        let posted = ErrorDocument.normalize(posted: document, headerType: type)
        finish(requestID, InvocationOutcome(body: posted.body, isError: true, errorType: posted.type, status: nil))
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

    /// The process whose output must be read up to now before an answer for `requestID` is taken, so that the log
    /// collected for `X-Amz-Log-Result` holds everything the function wrote before answering; nil when none is.
    func outputToDrain(before requestID: String) -> ChildProcess? {
        guard let current = inFlight[requestID], current.pending.capturesLog, let record = process,
              record.generation == current.generation
        else { return nil }
        return record.child
    }

    // MARK: - Extensions API

    /// `POST /2020-01-01/extension/register`. Every extension here is internal (a thread of the runtime process; the
    /// emulator runs no external extensions from `/opt/extensions`): it may register for `INVOKE` but not for
    /// `SHUTDOWN`, and only during the init phase, before the runtime's first `/next`. Refusals follow Lambda's own
    /// Runtime API (aws/aws-lambda-runtime-interface-emulator, lambda/rapi/handler/agentregister.go).
    func registerExtension(name: String?, body: [UInt8], acceptFeature: String?) -> HTTPReply {
        guard let name, !name.isEmpty else {
            return .error(403, type: "Extension.InvalidExtensionName", message: "Empty extension name")
        }
        let events: [String]
        switch ExtensionRegistration.parse(body) {
        case .events(let parsed): events = parsed
        case .refused(let refusal): return refusal
        }
        for event in events where event != "INVOKE" {
            let reason = event == "SHUTDOWN"
                ? "internal extensions cannot register for the SHUTDOWN event"
                : "not an event type (INVOKE or SHUTDOWN)"
            return .error(403, type: "Extension.InvalidEventType", message: "\(event): \(reason)")
        }
        guard var current = process, current.firstNextAt == nil, current.isServing, !shuttingDown else {
            return .error(403, type: "Extension.RegistrationClosed", message: "Extension registration closed already")
        }
        guard !current.extensions.contains(where: { $0.name == name }) else {
            return .error(403, type: "Extension.InvalidExtensionState", message: "Extension with this name already registered")
        }
        guard current.extensions.count < Limits.maximumExtensions else {
            return .error(403, type: "Extension.TooManyExtensions", message: "Extension limit (\(Limits.maximumExtensions)) reached")
        }
        let id = LambdaIdentifiers.requestID()
        current.extensions.append(RegisteredExtension(id: id, name: name, receivesInvokes: events.contains("INVOKE")))
        process = current
        sink.line("warden emulate: internal extension \(name) registered for [\(events.joined(separator: ","))]")
        let accountID = acceptFeature.map { $0.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "accountId" } } ?? false
        return ExtensionRegistration.reply(
            extensionID: id, functionName: configuration.functionName, handler: configuration.handler,
            accountID: accountID ? LambdaIdentifiers.accountID : nil
        )
    }

    /// `GET /2020-01-01/extension/event/next`: the extension's next event. An extension registered for no event, or
    /// waiting between invocations, is parked; internal extensions get no `SHUTDOWN` event, so a parked call returns
    /// only when the process is gone.
    func extensionNext(identifier: String?) async -> HTTPReply {
        guard let identifier, !identifier.isEmpty else {
            return .error(403, type: "Extension.MissingExtensionIdentifier", message: "Missing Lambda-Extension-Identifier header")
        }
        guard UUID(uuidString: identifier) != nil else {
            return .error(403, type: "Extension.InvalidExtensionIdentifier", message: "Invalid Lambda-Extension-Identifier")
        }
        guard var current = process, let index = current.extensions.firstIndex(where: { $0.id == identifier }) else {
            return .error(403, type: "Extension.UnknownExtensionIdentifier", message: "Unknown extension \(identifier)")
        }
        if !current.extensions[index].pendingEvents.isEmpty {
            let event = current.extensions[index].pendingEvents.removeFirst()
            process = current
            return ExtensionRegistration.eventReply(event)
        }
        let generation = current.generation
        return await withCheckedContinuation { continuation in
            extensionWaiters.append(ExtensionWaiter(generation: generation, extensionID: identifier, continuation: continuation))
        }
    }

    /// Hands an `INVOKE` event to every extension of the current process registered for it.
    private func notifyExtensions(of event: NextEvent) {
        guard var current = process, current.extensions.contains(where: \.receivesInvokes) else { return }
        let document = ExtensionRegistration.invokeEvent(event)
        for index in current.extensions.indices where current.extensions[index].receivesInvokes {
            let id = current.extensions[index].id
            if let waiting = extensionWaiters.firstIndex(where: { $0.generation == current.generation && $0.extensionID == id }) {
                extensionWaiters.remove(at: waiting).continuation.resume(returning: ExtensionRegistration.eventReply(document))
            } else {
                current.extensions[index].pendingEvents.append(document)
            }
        }
        process = current
    }

    private func releaseExtensionWaiters(generation: Int?) {
        let released = extensionWaiters.filter { generation == nil || $0.generation == generation }
        extensionWaiters.removeAll { generation == nil || $0.generation == generation }
        for waiter in released {
            waiter.continuation.resume(returning: .error(500, type: "Runtime.Unavailable", message: "The function process has exited"))
        }
    }

    // MARK: - Shutdown

    /// Fails everything queued or in flight with ``EmulatorError/shutDown``, then runs Lambda's shutdown phase: with
    /// an extension registered, SIGTERM to the runtime and SIGKILL after 500 ms (the limit with internal extensions
    /// only); with none, SIGKILL at once — Lambda sends SIGTERM only to a runtime with a registered extension
    /// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html, "Shutdown phase";
    /// https://github.com/aws-samples/graceful-shutdown-with-aws-lambda).
    func shutdown() async {
        guard !shuttingDown else { return }
        shuttingDown = true
        let running = inFlight.values
        inFlight.removeAll()
        for current in running {
            current.timer.cancel()
            _ = logs.end(requestID: current.requestID)
            current.pending.delivery.fail(EmulatorError.shutDown)
        }
        for pending in queue { pending.delivery.fail(EmulatorError.shutDown) }
        queue.removeAll()
        // Parked /next polls stay parked, as Lambda leaves them: a runtime told its /next failed would exit on its own
        // before the signal. They are released once the process is gone.
        if let record = process {
            stop(record, reason: .shutdown)
            if !(await waitForExit(seconds: Limits.internalExtensionShutdownGrace + Limits.shutdownGrace)) {
                process?.child.signal(SIGKILL)
                _ = await waitForExit(seconds: Limits.shutdownGrace)
            }
        }
        for waiter in waiters {
            waiter.continuation.resume(returning: .refused(.error(500, type: "Runtime.Unavailable", message: "The emulator is shutting down")))
        }
        waiters.removeAll()
        releaseExtensionWaiters(generation: nil)
    }

    /// Ends `record`'s process the way Lambda ends an execution environment: SIGTERM and SIGKILL after the grace when
    /// an extension is registered, SIGKILL at once otherwise.
    private func stop(_ record: ProcessRecord, reason: KillReason) {
        var record = record
        record.initTimer?.cancel()
        record.killReason = reason
        if record.extensions.isEmpty {
            sink.line("warden emulate: stopping process \(record.child.pid) (\(reason.text)): no extension registered, SIGKILL")
            process = record
            record.child.signal(SIGKILL)
            return
        }
        let names = record.extensions.map(\.name).joined(separator: ", ")
        sink.line("warden emulate: stopping process \(record.child.pid) (\(reason.text)): SIGTERM (extensions: \(names)), SIGKILL after \(Int(Limits.internalExtensionShutdownGrace * 1000)) ms")
        record.sentSIGTERM = true
        process = record
        record.child.signal(SIGTERM)
        let generation = record.generation
        Task {
            do { try await Task.sleep(for: .seconds(Limits.internalExtensionShutdownGrace)) } catch { return }
            self.killAfterGrace(generation: generation)
        }
    }

    private func killAfterGrace(generation: Int) {
        guard let record = process, record.generation == generation else { return }
        record.child.signal(SIGKILL)
    }

    // MARK: - Scheduling

    /// Starts a process if work is queued and none exists, and hands queued invocations to waiting `/next` polls, up
    /// to the maximum concurrency. In tenant isolation mode a process serves one tenant: when the next invocation is
    /// another tenant's, the process is retired once idle and a fresh one started for it.
    private func pump() {
        guard !shuttingDown, runtimeAPI != nil else { return }
        while process == nil && !queue.isEmpty {
            spawnProcess()
        }
        while let head = queue.first, inFlight.count < configuration.maxConcurrency {
            guard var current = process, current.isServing else { return }
            if configuration.tenantIsolation, let tenant = current.tenantID, tenant != head.tenantID {
                let idle = current.stale.isEmpty && !inFlight.values.contains { $0.generation == current.generation }
                if idle { stop(current, reason: .tenantSwitch) }
                return
            }
            guard let index = waiters.firstIndex(where: { $0.generation == current.generation }) else { return }
            let waiter = waiters.remove(at: index)
            if configuration.tenantIsolation && current.tenantID == nil {
                current.tenantID = head.tenantID
                process = current
                sink.line("warden emulate: process \(current.child.pid) serves tenant \(head.tenantID ?? "-") only (tenant isolation)")
            }
            handOut(queue.removeFirst(), to: waiter)
        }
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
                onOutput: { [sink, logs] line in
                    logs.route(line, generation: generation)
                    sink.emit(line)
                },
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
        if pending.capturesLog { logs.begin(requestID: requestID, generation: current.generation) }
        line("START RequestId: \(requestID) Version: $LATEST", for: requestID)
        let timer = Task {
            do { try await Task.sleep(for: .seconds(timeout)) } catch { return }
            self.invocationTimedOut(requestID: requestID)
        }
        inFlight[requestID] = InFlightInvocation(
            pending: pending,
            invocationID: invocationID,
            generation: current.generation,
            startedAt: .now,
            initDurationMs: initDuration,
            timer: timer
        )
        notifyExtensions(of: event)
        waiter.continuation.resume(returning: .event(event))
    }

    /// Ends the in-flight invocation `requestID` with `outcome` and moves on.
    private func finish(_ requestID: String, _ outcome: InvocationOutcome, memoryKiB: Int? = nil, messages: [String] = []) {
        guard let current = inFlight.removeValue(forKey: requestID) else { return }
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
        if pending.capturesLog { logs.begin(requestID: requestID, generation: -1) }
        if printStart { line("START RequestId: \(requestID) Version: $LATEST", for: requestID) }
        for message in messages { line(message, for: requestID) }
        line("END RequestId: \(requestID)", for: requestID)
        line(report, for: requestID)
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
                streamedBytes: outcome.streamedBytes,
                logTail: logs.end(requestID: requestID)
            )
        )
    }

    /// Writes a line of the emulator's own for `requestID`, into its log too when that is being collected.
    private func line(_ text: String, for requestID: String) {
        let bytes = Array((text + "\n").utf8)
        logs.append(bytes, to: requestID)
        sink.emit(bytes)
    }

    // MARK: - Process events

    private func processExited(generation: Int, exit: ChildExit) {
        guard let record = process, record.generation == generation else { return }
        process = nil
        record.initTimer?.cancel()
        var exitLine = "warden emulate: function process \(record.child.pid) exited: \(exit.status.lambdaDescription)"
        if let reason = record.killReason { exitLine += " (\(reason.text)\(record.sentSIGTERM ? ", after SIGTERM" : ""))" }
        sink.line(exitLine)
        let stale = waiters.filter { $0.generation == generation }
        waiters.removeAll { $0.generation == generation }
        for waiter in stale {
            waiter.continuation.resume(returning: .refused(.error(500, type: "Runtime.Unavailable", message: "The function process has exited")))
        }
        releaseExtensionWaiters(generation: generation)
        let now = ContinuousClock.now
        if inFlight.values.contains(where: { $0.generation == generation }) {
            if runtimeConnections > 0 {
                // What the process sent before it died may still sit unread in its connections (a stream's last
                // chunks, a posted response): read it all before deciding how its invocations ended.
                exitAwaitingDrain = (generation, exit)
                Task {
                    do { try await Task.sleep(for: .seconds(Limits.exitDrainGrace)) } catch { return }
                    self.settleExit(generation: generation)
                }
            } else {
                finishAfterExit(generation: generation, exit: exit)
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

    /// Ends every invocation the process of `generation` still held with `Runtime.ExitError`.
    private func finishAfterExit(generation: Int, exit: ChildExit) {
        let dying = inFlight.values.filter { $0.generation == generation }.sorted { $0.startedAt < $1.startedAt }
        for current in dying {
            let message = Self.exitMessage(requestID: current.requestID, status: exit.status)
            finish(
                current.requestID,
                .failure(type: "Runtime.ExitError", message: message, status: "error"),
                memoryKiB: exit.maxRSSKiB,
                messages: [message, "Runtime.ExitError"]
            )
        }
    }

    /// Settles an exit that was waiting for the dead process's connections to drain.
    private func settleExit(generation: Int) {
        guard let pending = exitAwaitingDrain, pending.generation == generation else { return }
        exitAwaitingDrain = nil
        finishAfterExit(generation: generation, exit: pending.exit)
    }

    // MARK: - Runtime API connections

    /// A connection carried its first Runtime API request.
    func runtimeConnectionOpened() {
        runtimeConnections += 1
    }

    /// A connection that carried Runtime API requests has closed, everything it sent having been handled.
    func runtimeConnectionClosed() {
        runtimeConnections = max(0, runtimeConnections - 1)
        if runtimeConnections == 0, let pending = exitAwaitingDrain { settleExit(generation: pending.generation) }
    }

    /// A timed-out invocation is answered with `Sandbox.Timedout`. On Lambda's default model the process is killed
    /// (the next invocation gets a fresh one); on Managed Instances it is not — the function's code keeps running, its
    /// worker stays busy until it answers, and that late answer gets `410`
    /// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-execution-environment.html,
    /// "Invocation timeouts").
    private func invocationTimedOut(requestID: String) {
        guard let current = inFlight[requestID] else { return }
        timedOut.insert(requestID)
        var memory = 0
        if var record = process, record.generation == current.generation {
            memory = record.child.peakRSSKiB() ?? 0
            if configuration.isManagedInstances {
                record.stale.insert(requestID)
                process = record
            } else {
                record.killReason = .timeout
                process = record
                record.child.signal(SIGKILL)
            }
        }
        let message = "\(LambdaIdentifiers.timestamp()) \(requestID) Task timed out after \(Self.fixed(configuration.timeout)) seconds"
        finish(requestID, .failure(type: "Sandbox.Timedout", message: message, status: "timeout"), memoryKiB: memory, messages: [message])
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

    /// The answer to a `/response` or `/error` for no invocation in flight: `410 Gone` when it timed out (as Lambda's
    /// Runtime API answers a late answer: `InvokeTimeout`, aws/aws-lambda-runtime-interface-emulator,
    /// internal/lambda-managed-instances/rapi/rendering/rendering.go), else `400 InvalidRequestID`. On Managed
    /// Instances the late answer also frees the worker the timed-out invocation kept busy.
    private func answerWithoutInvocation(_ requestID: String) -> HTTPReply {
        guard timedOut.consume(requestID) else { return Self.invalidRequestID(requestID) }
        if var record = process, record.stale.remove(requestID) != nil {
            process = record
            pump()
        }
        return .error(410, type: "InvokeTimeout", message: "Invoke timeout")
    }

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
