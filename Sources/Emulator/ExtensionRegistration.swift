import Foundation

/// The Extensions API's documents: the register request and reply, and the events `event/next` hands out
/// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html).
enum ExtensionRegistration {
    /// A register request's `events`, or the refusal for a malformed body.
    enum Parsed {
        case events([String])
        case refused(HTTPReply)
    }

    /// Reads `{"events": [...]}` (an empty body or no `events` registers for nothing).
    static func parse(_ body: [UInt8]) -> Parsed {
        guard !body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return .events([]) }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return .refused(.error(403, type: "InvalidRequestFormat", message: "The register request body is not a JSON object"))
        }
        if let keys = object["configurationKeys"] as? [Any], !keys.isEmpty {
            return .refused(.error(403, type: "InvalidRequestFormat", message: "configurationKeys are deprecated; use environment variables instead"))
        }
        guard let events = object["events"] else { return .events([]) }
        guard let list = events as? [Any], let names = list as? [String] else {
            return .refused(.error(403, type: "InvalidRequestFormat", message: "events must be an array of strings"))
        }
        return .events(names)
    }

    /// `200` with `Lambda-Extension-Identifier` and `{"functionName", "functionVersion", "handler"}`, plus
    /// `accountId` for a register that sent `Lambda-Extension-Accept-Feature: accountId`.
    static func reply(extensionID: String, functionName: String, handler: String, accountID: String?) -> HTTPReply {
        var text = "{"
        if let accountID { text += "\"accountId\":\(ErrorDocument.quoted(accountID))," }
        text += "\"functionName\":\(ErrorDocument.quoted(functionName)),\"functionVersion\":\"$LATEST\","
        text += "\"handler\":\(ErrorDocument.quoted(handler))}"
        return HTTPReply(
            status: 200,
            headers: [("Content-Type", "application/json"), ("Lambda-Extension-Identifier", extensionID)],
            body: Array(text.utf8)
        )
    }

    /// The `INVOKE` event of an invocation: `eventType`, `deadlineMs`, `requestId`, `invokedFunctionArn`, `tracing`.
    static func invokeEvent(_ event: NextEvent) -> [UInt8] {
        let text = "{\"eventType\":\"INVOKE\",\"deadlineMs\":\(event.deadlineMs),\"requestId\":\(ErrorDocument.quoted(event.requestID)),"
            + "\"invokedFunctionArn\":\(ErrorDocument.quoted(event.functionARN)),"
            + "\"tracing\":{\"type\":\"X-Amzn-Trace-Id\",\"value\":\(ErrorDocument.quoted(event.traceID))}}"
        return Array(text.utf8)
    }

    /// `200` carrying an event, with a fresh `Lambda-Extension-Event-Identifier`.
    static func eventReply(_ document: [UInt8]) -> HTTPReply {
        HTTPReply(
            status: 200,
            headers: [("Content-Type", "application/json"), ("Lambda-Extension-Event-Identifier", LambdaIdentifiers.requestID())],
            body: document
        )
    }
}
