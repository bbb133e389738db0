// A test-only function for the runtime's end-to-end tests (never packaged or deployed). The event selects the
// behaviour: {"action": "echo" | "error" | "big" | "sleep" | "crash" | "log", ...}, or a streamed response:
//   {"action": "stream", "chunks": N, "chunkBytes": M, "sleepMs": S?}  N chunks of M bytes (byte i of the whole
//       stream is i % 251), S ms apart; "stream-sleep" is the same with sleepMs defaulting to 1000;
//   {"action": "stream-fail", "chunks": N, "chunkBytes": M, "plain": B?}  N chunks, then the stream throws
//       (TestFunction.Failure, or with "plain" an error that is not reportable and must not leak its text);
//   {"action": "stream-crash", "chunks": N}  N chunks, then the process exits 3;
//   {"action": "stream-http", "statusCode": C, "headers": {...}, "cookies": [...], "body": "...", "chunks": N}
//       the Function URL prelude, then "body" N times.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import LambdaRuntime
import Platform
import WardenJSON

struct TestError: LambdaReportableError {
    var lambdaErrorType: String { "TestFunction.Failure" }
    var lambdaErrorMessage: String { "the test function was asked to fail" }
}

/// An error whose text must never reach the caller (it is not a `LambdaReportableError`).
struct PlainError: Error, CustomStringConvertible {
    var description: String { "internal detail: password=hunter2" }
}

/// `chunks` chunks of `chunkBytes` bytes; byte i of the whole stream is `i % 251`.
struct PatternStream: ResponseStream {
    var contentType = "application/octet-stream"
    var chunks: Int
    var chunkBytes: Int
    var sleepMilliseconds = 0
    /// After this many chunks: throw `failure` (or exit, for a crash).
    var failAfter: Int?
    var failure: (any Error)?
    var crashAfter: Int?
    var sent = 0
    var offset = 0

    mutating func next() throws -> [UInt8]? {
        if let crashAfter, sent == crashAfter { Platform.exit(3) }
        if let failAfter, sent == failAfter { throw failure ?? TestError() }
        guard sent < chunks else { return nil }
        if sent > 0, sleepMilliseconds > 0 { usleep(UInt32(sleepMilliseconds) * 1000) }
        var chunk = [UInt8](repeating: 0, count: chunkBytes)
        for i in 0..<chunkBytes { chunk[i] = UInt8((offset + i) % 251) }
        offset += chunkBytes
        sent += 1
        return chunk
    }
}

struct TestHandler: ByteHandler {
    var invocations = 0
    /// The worker this handler serves (`AWS_LAMBDA_MAX_CONCURRENCY` workers, each with a handler of its own).
    var worker = 0

    mutating func respond(to event: [UInt8], context: LambdaContext) throws -> LambdaResponse {
        let input = try JSON.parse(event)
        let action = input["action"]?.stringValue ?? "echo"
        guard action.hasPrefix("stream") else { return .buffered(try handle(event, context: context)) }
        invocations += 1
        let chunks = input["chunks"]?.intValue ?? 3
        let chunkBytes = input["chunkBytes"]?.intValue ?? 1024
        var stream = PatternStream(chunks: chunks, chunkBytes: chunkBytes, sleepMilliseconds: input["sleepMs"]?.intValue ?? 0)
        switch action {
        case "stream-sleep":
            stream.sleepMilliseconds = input["sleepMs"]?.intValue ?? 1000
        case "stream-fail":
            stream.failAfter = chunks
            if input["plain"]?.boolValue == true { stream.failure = PlainError() }
        case "stream-crash":
            stream.crashAfter = chunks
        case "stream-http":
            var headers: [String: String] = [:]
            for (name, value) in input["headers"]?.objectValue ?? [:] { headers[name] = value.stringValue ?? "" }
            let head = HTTPIntegrationResponse(
                statusCode: input["statusCode"]?.intValue ?? 200,
                headers: headers,
                cookies: (input["cookies"]?.arrayValue ?? []).compactMap(\.stringValue)
            )
            let body = Array((input["body"]?.stringValue ?? "").utf8)
            return .streamed(head.stream(body: ChunkStream(contentType: "", chunks: Array(repeating: body, count: chunks))))
        default:
            break
        }
        return .streamed(stream)
    }

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
            "tenantId": context.tenantID.map { .string($0) } ?? .null,
            "pid": .int(Int64(Platform.processID)),
            "invocations": .int(Int64(invocations)),
            "worker": .int(Int64(worker)),
        ]
        return JSON.object(object).serialized()
    }
}

struct InitFailure: LambdaReportableError {
    var lambdaErrorType: String { "TestFunction.InitFailure" }
    var lambdaErrorMessage: String { "init was told to fail" }
}

LambdaRuntime.run { initContext in
    if Platform.environment("TESTFN_FAIL_INIT") == "1" { throw InitFailure() }
    return TestHandler(worker: initContext.worker)
}
