import Logging
import Testing

@testable import LambdaRuntime

/// A scripted client that takes streamed answers as the Runtime API does: each part as the loop hands it over,
/// with the stream's content type; it may refuse the stream at its end (`413`, the Runtime API's size limit).
struct StreamingClient: RuntimeAPIClient {
    var scripted: ScriptedClient
    var streams: [(target: InvocationTarget, contentType: String, parts: [StreamedResponsePart])] = []
    var refuseStreamsAsTooLarge = false

    mutating func next() throws(LambdaRuntimeError) -> Invocation { try scripted.next() }
    mutating func respond(_ target: InvocationTarget, body: [UInt8]) throws(LambdaRuntimeError) { try scripted.respond(target, body: body) }
    mutating func reportError(_ target: InvocationTarget, _ report: ErrorReport) throws(LambdaRuntimeError) {
        try scripted.reportError(target, report)
    }
    mutating func reportInitError(_ report: ErrorReport) throws(LambdaRuntimeError) {}

    mutating func respondStreaming(
        _ target: InvocationTarget, contentType: String, next: () -> StreamedResponsePart
    ) throws(LambdaRuntimeError) {
        var parts: [StreamedResponsePart] = []
        while true {
            let part = next()
            parts.append(part)
            if case .chunk = part { continue }
            break
        }
        streams.append((target, contentType, parts))
        if refuseStreamsAsTooLarge { throw LambdaRuntimeError(.responseTooLarge) }
    }
}

/// Streams the event's bytes one by one; an event of `fail` fails after its first two chunks.
struct StreamingHandler: ByteHandler {
    struct Chunks: ResponseStream {
        var contentType: String { "application/x-ndjson" }
        var remaining: [UInt8]
        let failAfter: Int?
        var sent = 0

        mutating func next() throws -> [UInt8]? {
            if let failAfter, sent == failAfter { throw EchoHandler.Failure() }
            guard !remaining.isEmpty else { return nil }
            sent += 1
            return [remaining.removeFirst()]
        }
    }

    mutating func handle(_ event: [UInt8], context: LambdaContext) throws -> [UInt8] { event }

    mutating func respond(to event: [UInt8], context: LambdaContext) throws -> LambdaResponse {
        .streamed(Chunks(remaining: event, failAfter: event == Array("fail".utf8) ? 2 : nil))
    }
}

@Suite struct LambdaStreamingLoopTests {
    let logger = Logger(label: "test", factory: { _ in MetadataKeepingHandler() })

    @Test func aStreamGoesOutChunkByChunkWithItsContentTypeAndEnds() {
        var client = StreamingClient(scripted: ScriptedClient(nexts: [.success(invocation("s", "abc", invocationID: "inv-s"))]))
        var handler = StreamingHandler()
        #expect(LambdaRuntime.step(&handler, client: &client, logger: logger) == .next)
        #expect(client.streams.count == 1)
        #expect(client.streams.first?.target == InvocationTarget(requestID: "s", invocationID: "inv-s"))
        #expect(client.streams.first?.contentType == "application/x-ndjson")
        #expect(client.streams.first?.parts == [.chunk([0x61]), .chunk([0x62]), .chunk([0x63]), .end])
        #expect(client.scripted.answers.isEmpty)  // nothing buffered, nothing to /error
    }

    @Test func aStreamThatFailsMidwayEndsWithItsReportNotItsTextAndTheLoopGoesOn() {
        var client = StreamingClient(
            scripted: ScriptedClient(nexts: [.success(invocation("f", "fail")), .success(invocation("after", "ok"))])
        )
        var handler = StreamingHandler()
        #expect(LambdaRuntime.step(&handler, client: &client, logger: logger) == .next)
        #expect(LambdaRuntime.step(&handler, client: &client, logger: logger) == .next)
        #expect(client.streams.map(\.parts) == [
            [.chunk([0x66]), .chunk([0x61]), .failed(ErrorReport(errorType: "Echo.Failure", errorMessage: "asked to fail"))],
            [.chunk([0x6F]), .chunk([0x6B]), .end],
        ])
    }

    @Test func aStreamCutAtTheSizeLimitIsNotReportedTwice() {
        var client = StreamingClient(
            scripted: ScriptedClient(nexts: [.success(invocation("big", "xy")), .success(invocation("next", "z"))]),
            refuseStreamsAsTooLarge: true
        )
        var handler = StreamingHandler()
        #expect(LambdaRuntime.step(&handler, client: &client, logger: logger) == .next)
        #expect(LambdaRuntime.step(&handler, client: &client, logger: logger) == .next)
        #expect(client.streams.count == 2)
        // The Runtime API has failed the invocation already: no /error report follows the cut stream.
        #expect(client.scripted.answers.isEmpty)
    }

    @Test func aClientWithoutStreamingGetsTheStreamBufferedOrItsErrorReported() {
        var client = ScriptedClient(nexts: [.success(invocation("b", "hey")), .success(invocation("e", "fail"))])
        var handler = StreamingHandler()
        #expect(LambdaRuntime.step(&handler, client: &client, logger: logger) == .next)
        #expect(LambdaRuntime.step(&handler, client: &client, logger: logger) == .next)
        #expect(client.answers == [
            .response(InvocationTarget(requestID: "b"), Array("hey".utf8)),
            .error(InvocationTarget(requestID: "e"), ErrorReport(errorType: "Echo.Failure", errorMessage: "asked to fail")),
        ])
    }
}
