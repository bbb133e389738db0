/// The emulator's HTTP endpoints, matched on the path (query string already removed).
enum Route: Equatable, Sendable {
    /// `GET /2018-06-01/runtime/invocation/next`
    case next
    /// `POST /2018-06-01/runtime/invocation/{id}/response`
    case response(requestID: String)
    /// `POST /2018-06-01/runtime/invocation/{id}/error`
    case error(requestID: String)
    /// `POST /2018-06-01/runtime/init/error`
    case initError
    /// `POST /2020-01-01/extension/register` (Extensions API)
    case extensionRegister
    /// `GET /2020-01-01/extension/event/next` (Extensions API)
    case extensionNext
    /// `POST /2015-03-31/functions/{name}/invocations`
    case invoke(functionName: String)

    /// The only method each endpoint accepts.
    var method: String {
        switch self {
        case .next, .extensionNext: return "GET"
        case .response, .error, .initError, .extensionRegister, .invoke: return "POST"
        }
    }

    /// Whether the request body may be large (and is subject to the 6 MB limit rather than a small cap).
    var carriesPayload: Bool {
        switch self {
        case .next, .extensionNext, .extensionRegister: return false
        case .response, .error, .initError, .invoke: return true
        }
    }

    /// Whether the function process (its runtime, not an extension) sends it.
    var isRuntimeAPI: Bool {
        switch self {
        case .next, .response, .error, .initError: return true
        case .extensionRegister, .extensionNext, .invoke: return false
        }
    }

    init?(path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.first == "" else { return nil }
        switch Array(parts.dropFirst()) {
        case ["2018-06-01", "runtime", "invocation", "next"]:
            self = .next
        case ["2018-06-01", "runtime", "init", "error"]:
            self = .initError
        case ["2020-01-01", "extension", "register"]:
            self = .extensionRegister
        case ["2020-01-01", "extension", "event", "next"]:
            self = .extensionNext
        case let p where p.count == 5 && p[0] == "2018-06-01" && p[1] == "runtime" && p[2] == "invocation" && !p[3].isEmpty:
            switch p[4] {
            case "response": self = .response(requestID: p[3])
            case "error": self = .error(requestID: p[3])
            default: return nil
            }
        case let p where p.count == 4 && p[0] == "2015-03-31" && p[1] == "functions" && !p[2].isEmpty && p[3] == "invocations":
            self = .invoke(functionName: p[2])
        default:
            return nil
        }
    }
}
