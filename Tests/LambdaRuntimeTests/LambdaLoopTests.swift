import Logging
import Testing

@testable import LambdaRuntime

/// A Runtime API client scripted in memory: each `/next` takes the next result, each answer the next status.
struct ScriptedClient: RuntimeAPIClient {
    enum Answer: Equatable {
        case response(InvocationTarget, [UInt8])
        case error(InvocationTarget, ErrorReport)
    }

    var nexts: [Result<Invocation, LambdaRuntimeError>]
    /// What each answer gets, in order: `nil` accepts, an error refuses; accepted once this runs out.
    var answerFailures: [LambdaRuntimeError?] = []
    var answers: [Answer] = []

    mutating func next() throws(LambdaRuntimeError) -> Invocation {
        guard !nexts.isEmpty else { throw LambdaRuntimeError(.runtimeAPIUnavailable, detail: "script ended") }
        return try nexts.removeFirst().get()
    }

    private mutating func answer(_ answer: Answer) throws(LambdaRuntimeError) {
        answers.append(answer)
        if !answerFailures.isEmpty, let failure = answerFailures.removeFirst() { throw failure }
    }

    mutating func respond(_ target: InvocationTarget, body: [UInt8]) throws(LambdaRuntimeError) {
        try answer(.response(target, body))
    }

    mutating func reportError(_ target: InvocationTarget, _ report: ErrorReport) throws(LambdaRuntimeError) {
        try answer(.error(target, report))
    }

    mutating func reportInitError(_ report: ErrorReport) throws(LambdaRuntimeError) {}
}

/// Echoes the request id and tenant id, or fails when the event is `fail`.
struct EchoHandler: ByteHandler {
    struct Failure: LambdaReportableError {
        var lambdaErrorType: String { "Echo.Failure" }
        var lambdaErrorMessage: String { "asked to fail" }
    }

    mutating func handle(_ event: [UInt8], context: LambdaContext) throws -> [UInt8] {
        if event == Array("fail".utf8) { throw Failure() }
        return Array("\(context.requestID)|\(context.tenantID ?? "-")".utf8)
    }
}

func invocation(_ id: String, _ event: String = "hi", tenant: String? = nil, invocationID: String? = nil) -> Invocation {
    Invocation(event: Array(event.utf8), metadata: InvocationMetadata(
        requestID: id, deadlineMilliseconds: .max, invokedFunctionARN: "arn:aws:lambda:us-east-1:0:function:t",
        tenantID: tenant, invocationID: invocationID
    ))
}

/// Keeps its metadata (and logs nothing), so tests can read what a logger carries.
struct MetadataKeepingHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {}
}

@Suite struct LambdaLoopTests {
    let logger = Logger(label: "test", factory: { _ in MetadataKeepingHandler() })

    @Test func answersGoToTheInvocationTheyBelongTo() {
        var client = ScriptedClient(nexts: [
            .success(invocation("a", tenant: "blue", invocationID: "inv-a")), .success(invocation("b", "fail")),
        ])
        var handler = EchoHandler()
        #expect(LambdaRuntime.step(&handler, client: &client, logger: logger) == .next)
        #expect(LambdaRuntime.step(&handler, client: &client, logger: logger) == .next)
        #expect(client.answers == [
            .response(InvocationTarget(requestID: "a", invocationID: "inv-a"), Array("a|blue".utf8)),
            .error(InvocationTarget(requestID: "b"), ErrorReport(errorType: "Echo.Failure", errorMessage: "asked to fail")),
        ])
    }

    @Test(arguments: [LambdaRuntimeError.Code.answerRefused, .runtimeAPIUnavailable])
    func aRefusedAnswerDoesNotEndTheLoop(code: LambdaRuntimeError.Code) {
        var client = ScriptedClient(
            nexts: [.success(invocation("late")), .success(invocation("late-error", "fail")), .success(invocation("on-time"))],
            answerFailures: [LambdaRuntimeError(code), LambdaRuntimeError(code)]
        )
        var handler = EchoHandler()
        for _ in 0..<3 { #expect(LambdaRuntime.step(&handler, client: &client, logger: logger) == .next) }
        #expect(client.answers.last == .response(InvocationTarget(requestID: "on-time"), Array("on-time|-".utf8)))
        #expect(client.answers.count == 3)
    }

    @Test func aFailingNextEndsTheProcessWithStatus1() {
        var client = ScriptedClient(nexts: [.failure(LambdaRuntimeError(.runtimeAPIUnavailable)), .success(invocation("never"))])
        var handler = EchoHandler()
        #expect(LambdaRuntime.step(&handler, client: &client, logger: logger) == .exit(1))
        #expect(client.answers.isEmpty)
        var invalid = ScriptedClient(nexts: [.failure(LambdaRuntimeError(.invalidInvocation))])
        #expect(LambdaRuntime.step(&handler, client: &invalid, logger: logger) == .exit(1))
    }

    @Test func anInterruptedNextStopsTheWorkerWithStatus0() {
        var client = ScriptedClient(nexts: [.failure(LambdaRuntimeError(.interrupted)), .success(invocation("never"))])
        var handler = EchoHandler()
        #expect(LambdaRuntime.step(&handler, client: &client, logger: logger) == .exit(0))
        #expect(client.answers.isEmpty)
    }

    @Test(arguments: [
        (nil, 1), ("", 1), ("0", 1), ("-3", 1), ("abc", 1), ("4x", 1), (" 4", 1), ("1", 1), ("4", 4), ("64", 64), ("65", 64),
        ("99999999999999999999", 1),
    ] as [(String?, Int)])
    func theWorkerCountComesFromMaxConcurrency(setting: String?, workers: Int) {
        #expect(LambdaRuntime.workerCount(setting) == workers)
    }

    @Test func aTooLargeResponseIsReportedAsAnError() {
        struct Big: ByteHandler {
            mutating func handle(_ event: [UInt8], context: LambdaContext) throws -> [UInt8] {
                [UInt8](repeating: 0x41, count: maxResponseBytes + 1)
            }
        }
        var client = ScriptedClient(nexts: [.success(invocation("big", invocationID: "inv-big"))])
        var handler = Big()
        #expect(LambdaRuntime.step(&handler, client: &client, logger: logger) == .next)
        guard case .error(let target, let report)? = client.answers.first else {
            Issue.record("expected an error report")
            return
        }
        #expect(target == InvocationTarget(requestID: "big", invocationID: "inv-big"))
        #expect(report.errorType == "Function.ResponseSizeTooLarge")
    }

    @Test func theContextCarriesTheTenantAndItsLoggerTagsEveryRecord() {
        let meta = InvocationMetadata(requestID: "r", deadlineMilliseconds: 1, invokedFunctionARN: "arn", tenantID: "green")
        let context = LambdaRuntime.context(for: meta, logger: logger)
        #expect(context.tenantID == "green")
        #expect(context.logger[metadataKey: "tenantId"] == .string("green"))
        #expect(context.logger[metadataKey: "requestId"] == .string("r"))
        let none = LambdaRuntime.context(for: InvocationMetadata(requestID: "r", deadlineMilliseconds: 1, invokedFunctionARN: "arn"), logger: logger)
        #expect(none.tenantID == nil && none.logger[metadataKey: "tenantId"] == nil)
        // Absent never reads as "": an empty tenant is no tenant.
        #expect(LambdaContext(requestID: "r", deadlineMilliseconds: 1, invokedFunctionARN: "a", tenantID: "", logger: logger).tenantID == nil)
    }
}
