import Bytes
import Foundation

/// Maps requests to the Runtime API, Extensions API and invoke endpoints onto the ``Supervisor``.
struct RuntimeAPIRouter: Sendable {
    let supervisor: Supervisor
    let configuration: EmulatorConfiguration

    /// Answers a request that has been read whole.
    func handle(_ request: APIRequest) async -> RouterAnswer {
        if case .invoke? = Route(path: request.path), request.method == "POST" { return await invoke(request) }
        return .reply(await reply(to: request))
    }

    /// A connection carried its first Runtime API request.
    func runtimeConnectionOpened() async {
        await supervisor.runtimeConnectionOpened()
    }

    /// A connection that carried Runtime API requests has closed.
    func runtimeConnectionClosed() async {
        await supervisor.runtimeConnectionClosed()
    }

    /// Streamed response, step 1: the head of a `POST …/response` with `Lambda-Runtime-Function-Response-Mode:
    /// streaming` arrived. Nil when the stream is accepted; otherwise the reply to give after the body is drained.
    func beginStream(requestID: String, invocationID: String?, contentType: String) async -> HTTPReply? {
        await supervisor.beginStream(requestID: requestID, invocationID: invocationID, contentType: contentType)
    }

    /// Streamed response, step 2: bytes as they arrive.
    func streamChunk(requestID: String, bytes: [UInt8]) async {
        await supervisor.streamChunk(requestID: requestID, bytes: bytes)
    }

    /// Streamed response, step 3: the end of the body, with its trailers.
    func endStream(requestID: String, trailers: [String: String]) async -> HTTPReply {
        await drainOutput(before: requestID)
        return await supervisor.endStream(
            requestID: requestID,
            errorType: trailers["lambda-runtime-function-error-type"],
            errorBody: trailers["lambda-runtime-function-error-body"]
        )
    }

    private func reply(to request: APIRequest) async -> HTTPReply {
        guard let route = Route(path: request.path) else {
            return .error(404, type: "NotFound", message: "No endpoint at \(request.path)")
        }
        guard request.method == route.method else {
            var reply = HTTPReply.error(405, type: "MethodNotAllowed", message: "\(request.method) is not allowed on \(request.path); use \(route.method)")
            reply.headers.append(("Allow", route.method))
            return reply
        }
        switch route {
        case .next:
            switch await supervisor.next() {
            case .event(let event): return event.reply
            case .refused(let reply): return reply
            }
        case .response(let requestID):
            await drainOutput(before: requestID)
            return await supervisor.postResponse(
                requestID: requestID, invocationID: request.header("Lambda-Runtime-Invocation-Id"), body: request.body,
                receivedBytes: request.receivedBytes
            )
        case .error(let requestID):
            await drainOutput(before: requestID)
            return await supervisor.postError(
                requestID: requestID,
                invocationID: request.header("Lambda-Runtime-Invocation-Id"),
                body: request.body,
                receivedBytes: request.receivedBytes,
                headerType: request.header("Lambda-Runtime-Function-Error-Type")
            )
        case .initError:
            guard request.receivedBytes <= Limits.maximumPayload else {
                return .error(413, type: "RequestEntityTooLarge", message: "Exceeded maximum allowed payload size (\(Limits.maximumPayload) bytes).")
            }
            return await supervisor.postInitError(body: request.body, headerType: request.header("Lambda-Runtime-Function-Error-Type"))
        case .extensionRegister:
            return await supervisor.registerExtension(
                name: request.header("Lambda-Extension-Name"), body: request.body,
                acceptFeature: request.header("Lambda-Extension-Accept-Feature")
            )
        case .extensionNext:
            return await supervisor.extensionNext(identifier: request.header("Lambda-Extension-Identifier"))
        case .invoke:
            return .error(500, type: "ServiceException", message: "The invoke endpoint was reached by mistake")
        }
    }

    /// Waits (briefly, bounded) until the function's output written before this answer has been read, when the
    /// invocation's log is being collected: its log then holds every line the function wrote before it answered.
    private func drainOutput(before requestID: String) async {
        guard let child = await supervisor.outputToDrain(before: requestID) else { return }
        let deadline = ContinuousClock.now + .seconds(Limits.outputDrainWait)
        while !child.outputDrained(), ContinuousClock.now < deadline {
            do { try await Task.sleep(for: .milliseconds(1)) } catch { return }
        }
    }

    /// An Invoke API error: its JSON document and `X-Amzn-ErrorType`.
    private static func invokeError(_ status: Int, type: String, message: String) -> RouterAnswer {
        var reply = HTTPReply.error(status, type: type, message: message)
        reply.headers.append(("X-Amzn-ErrorType", type))
        return .reply(reply)
    }

    /// The RIE-style synchronous invoke: queue, wait, answer like Lambda's Invoke API.
    private func invoke(_ request: APIRequest) async -> RouterAnswer {
        guard request.receivedBytes <= Limits.maximumPayload else {
            var reply = HTTPReply.error(
                413,
                type: "RequestTooLargeException",
                message: "Request must be smaller than \(Limits.maximumPayload) bytes for the InvokeFunction operation"
            )
            reply.headers.append(("X-Amzn-ErrorType", "RequestTooLargeException"))
            return .reply(reply)
        }
        var clientContext: String?
        if let encoded = request.header("X-Amz-Client-Context"), !encoded.isEmpty {
            guard let data = Base64.lenientPadded.decode(encoded).map({ Data($0) }),
                  (try? JSONSerialization.jsonObject(with: data)) is [String: Any],
                  let text = String(data: data, encoding: .utf8)
            else {
                return .reply(.error(400, type: "InvalidRequestContentException", message: "Client context must be a valid Base64-encoded JSON object."))
            }
            clientContext = text
        }
        let cognitoIdentity = request.header("X-Amz-Cognito-Identity").flatMap { $0.isEmpty ? nil : $0 }
        // The Invoke API's tenant id (tenant isolation mode), handed to the function as Lambda-Runtime-Aws-Tenant-Id.
        let tenantID = request.header("X-Amz-Tenant-Id").flatMap { $0.isEmpty ? nil : $0 }
        // A function in tenant isolation mode must be invoked with a tenant id; without one Lambda refuses the invoke
        // with InvalidParameterValueException (https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation-invoke.html,
        // https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation-troubleshooting.html), a 400 of the Invoke API
        // (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
        if configuration.tenantIsolation && tenantID == nil {
            return Self.invokeError(
                400, type: "InvalidParameterValueException",
                message: "The function uses tenant isolation mode: the invoke must name a tenant (X-Amz-Tenant-Id)"
            )
        }
        // X-Amz-Log-Type: Tail asks for the last 4 KB of the invocation's log, base64, in X-Amz-Log-Result
        // (synchronous invokes only; https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
        let capturesLog: Bool
        switch request.header("X-Amz-Log-Type") ?? "None" {
        case "None": capturesLog = false
        case "Tail": capturesLog = true
        case let other:
            return Self.invokeError(400, type: "InvalidParameterValueException", message: "Unsupported log type \(other)")
        }
        let payload = request.body
        let supervisor = self.supervisor
        switch request.header("X-Amz-Invocation-Type") ?? "RequestResponse" {
        case "RequestResponse":
            break
        case "Event":
            // Lambda queues asynchronous invokes itself (and retries throttles), so they are never refused for want
            // of a free worker.
            Task {
                _ = try? await supervisor.invoke(
                    payload: payload, clientContext: clientContext, cognitoIdentity: cognitoIdentity, tenantID: tenantID,
                    admitsBeyondCapacity: true
                )
            }
            return .reply(HTTPReply(status: 202))
        case "DryRun":
            return .reply(HTTPReply(status: 204))
        case let other:
            return .reply(.error(400, type: "InvalidParameterValueException", message: "Unsupported invocation type \(other)"))
        }
        do {
            let (requestID, parts) = try await supervisor.invokeStreaming(
                payload: payload, clientContext: clientContext, cognitoIdentity: cognitoIdentity, tenantID: tenantID,
                capturesLog: capturesLog
            )
            var iterator = parts.makeAsyncIterator()
            switch try await iterator.next() {
            case .finished(let result)?:
                var headers: [(String, String)] = [
                    ("Content-Type", "application/json"),
                    ("X-Amz-Executed-Version", "$LATEST"),
                    ("X-Amzn-RequestId", result.requestID),
                ]
                if result.isError { headers.append(("X-Amz-Function-Error", "Unhandled")) }
                if let tail = result.logTail { headers.append(("X-Amz-Log-Result", Base64.standard.encode(tail))) }
                return .reply(HTTPReply(status: 200, headers: headers, body: result.body))
            case .streamStarted(let contentType)?:
                // Lambda's streamed invoke: the function's Content-Type, chunks as they come, errors as trailers.
                let headers: [(String, String)] = [
                    ("Content-Type", contentType),
                    ("X-Amz-Executed-Version", "$LATEST"),
                    ("X-Amzn-RequestId", requestID),
                    ("Trailer", "\(StreamedInvokeReply.errorTypeTrailer), \(StreamedInvokeReply.errorBodyTrailer)"),
                ]
                return .stream(StreamedInvokeReply(headers: headers, parts: iterator))
            case .chunk?, nil:
                return .reply(.error(500, type: "ServiceException", message: "The invocation ended without a result"))
            }
        } catch EmulatorError.tooManyRequests(let maxConcurrency) {
            // Lambda Managed Instances: every worker busy. See Supervisor.admit for the sources.
            return Self.invokeError(
                429, type: "TooManyRequestsException",
                message: "Rate Exceeded. All \(maxConcurrency) concurrent invocations of the execution environment are busy."
            )
        } catch {
            return .reply(.error(500, type: "ServiceException", message: "\(error)"))
        }
    }
}

/// What the server sends for a request read whole: one complete reply, or an invoke answered as a stream.
enum RouterAnswer {
    case reply(HTTPReply)
    case stream(StreamedInvokeReply)
}

/// A streamed invoke response: `200` with these headers, then the remaining parts of the invocation (chunks, then
/// the result, whose error if any goes out as trailers).
struct StreamedInvokeReply {
    static let errorTypeTrailer = "Lambda-Runtime-Function-Error-Type"
    static let errorBodyTrailer = "Lambda-Runtime-Function-Error-Body"

    var headers: [(String, String)]
    var parts: AsyncThrowingStream<InvocationPart, any Error>.AsyncIterator

    /// The trailers that end the stream: the error type and the base64 error document when the invocation failed.
    static func trailers(for result: InvocationResult) -> [(String, String)] {
        guard result.isError else { return [] }
        return [
            (errorTypeTrailer, result.errorType ?? "Unhandled"),
            (errorBodyTrailer, Base64.standard.encode(result.body)),
        ]
    }
}

extension Base64 {
    /// Base64 as the emulator reads what it is handed (an invoke's client context, a runtime's error body, an event's
    /// base64 body): standard alphabet, padding required, no whitespace, unused bits of the last character ignored,
    /// the way the gateway reads a proxy response's body.
    static var lenientPadded: Base64 { Base64(alphabet: .standard, padding: .required, unusedBits: .ignored) }
}
