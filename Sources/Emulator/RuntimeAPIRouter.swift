import Foundation

/// Maps requests to the Runtime API and invoke endpoints onto the ``Supervisor``.
struct RuntimeAPIRouter: Sendable {
    let supervisor: Supervisor

    func handle(_ request: APIRequest) async -> HTTPReply {
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
            return await supervisor.postResponse(requestID: requestID, body: request.body, receivedBytes: request.receivedBytes)
        case .error(let requestID):
            return await supervisor.postError(
                requestID: requestID,
                body: request.body,
                receivedBytes: request.receivedBytes,
                headerType: request.header("Lambda-Runtime-Function-Error-Type")
            )
        case .initError:
            guard request.receivedBytes <= Limits.maximumPayload else {
                return .error(413, type: "RequestEntityTooLarge", message: "Exceeded maximum allowed payload size (\(Limits.maximumPayload) bytes).")
            }
            return await supervisor.postInitError(body: request.body, headerType: request.header("Lambda-Runtime-Function-Error-Type"))
        case .invoke:
            return await invoke(request)
        }
    }

    /// The RIE-style synchronous invoke: queue, wait, answer like Lambda's Invoke API.
    private func invoke(_ request: APIRequest) async -> HTTPReply {
        guard request.receivedBytes <= Limits.maximumPayload else {
            var reply = HTTPReply.error(
                413,
                type: "RequestTooLargeException",
                message: "Request must be smaller than \(Limits.maximumPayload) bytes for the InvokeFunction operation"
            )
            reply.headers.append(("X-Amzn-ErrorType", "RequestTooLargeException"))
            return reply
        }
        var clientContext: String?
        if let encoded = request.header("X-Amz-Client-Context"), !encoded.isEmpty {
            guard let data = Data(base64Encoded: encoded),
                  (try? JSONSerialization.jsonObject(with: data)) is [String: Any],
                  let text = String(data: data, encoding: .utf8)
            else {
                return .error(400, type: "InvalidRequestContentException", message: "Client context must be a valid Base64-encoded JSON object.")
            }
            clientContext = text
        }
        let cognitoIdentity = request.header("X-Amz-Cognito-Identity").flatMap { $0.isEmpty ? nil : $0 }
        let payload = request.body
        let supervisor = self.supervisor
        switch request.header("X-Amz-Invocation-Type") ?? "RequestResponse" {
        case "RequestResponse":
            break
        case "Event":
            Task { _ = try? await supervisor.invoke(payload: payload, clientContext: clientContext, cognitoIdentity: cognitoIdentity) }
            return HTTPReply(status: 202)
        case "DryRun":
            return HTTPReply(status: 204)
        case let other:
            return .error(400, type: "InvalidParameterValueException", message: "Unsupported invocation type \(other)")
        }
        do {
            let result = try await supervisor.invoke(payload: payload, clientContext: clientContext, cognitoIdentity: cognitoIdentity)
            var headers: [(String, String)] = [
                ("Content-Type", "application/json"),
                ("X-Amz-Executed-Version", "$LATEST"),
                ("X-Amzn-RequestId", result.requestID),
            ]
            if result.isError { headers.append(("X-Amz-Function-Error", "Unhandled")) }
            return HTTPReply(status: 200, headers: headers, body: result.body)
        } catch {
            return .error(500, type: "ServiceException", message: "\(error)")
        }
    }
}
