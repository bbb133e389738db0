// A test-only function for the runtime's end-to-end tests (never packaged or deployed). The event selects the
// behaviour: {"action": "echo" | "error" | "big" | "sleep" | "crash" | "log", ...}.
import LambdaRuntime
import Platform
import WardenJSON

struct TestError: LambdaReportableError {
    var lambdaErrorType: String { "TestFunction.Failure" }
    var lambdaErrorMessage: String { "the test function was asked to fail" }
}

struct TestHandler: ByteHandler {
    var invocations = 0

    mutating func handle(_ event: [UInt8], context: LambdaContext) throws -> [UInt8] {
        invocations += 1
        let input = try JSON.parse(event)
        switch input["action"]?.stringValue ?? "echo" {
        case "error":
            throw TestError()
        case "big":
            let size = input["bytes"]?.intValue ?? 7_000_000
            return JSON.string(String(repeating: "x", count: size)).serialized()
        case "sleep":
            let until = Platform.monotonicNanoseconds() + UInt64(input["ms"]?.intValue ?? 1000) * 1_000_000
            while Platform.monotonicNanoseconds() < until {}
        case "crash":
            Platform.exit(3)
        case "log":
            context.logger.info("hello from the test function", metadata: ["email": "jane@example.com", "count": "3"])
            context.logger.debug("debug line")
            context.logger.warning("contact bob@example.org about it")
        default:
            break
        }
        let object: JSONObject = [
            "requestId": .string(context.requestID),
            "deadlineMs": .int(context.deadlineMilliseconds),
            "remainingMs": .int(context.remainingMilliseconds),
            "functionArn": .string(context.invokedFunctionARN),
            "traceId": context.traceID.map { .string($0) } ?? .null,
            "envTraceId": Platform.environment("_X_AMZN_TRACE_ID").map { .string($0) } ?? .null,
            "clientContext": context.clientContext.map { .string($0) } ?? .null,
            "cognitoIdentity": context.cognitoIdentity.map { .string($0) } ?? .null,
            "pid": .int(Int64(Platform.processID)),
            "invocations": .int(Int64(invocations)),
        ]
        return JSON.object(object).serialized()
    }
}

struct InitFailure: LambdaReportableError {
    var lambdaErrorType: String { "TestFunction.InitFailure" }
    var lambdaErrorMessage: String { "init was told to fail" }
}

LambdaRuntime.run { _ in
    if Platform.environment("TESTFN_FAIL_INIT") == "1" { throw InitFailure() }
    return TestHandler()
}
