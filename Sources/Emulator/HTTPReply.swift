/// A complete HTTP response, independent of SwiftNIO so the state machine can produce it.
struct HTTPReply: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON error reply in the Runtime API's shape: `{"errorMessage":...,"errorType":...}`.
    static func error(_ status: Int, type: String, message: String) -> HTTPReply {
        HTTPReply(
            status: status,
            headers: [("Content-Type", "application/json")],
            body: ErrorDocument.make(message: message, type: type)
        )
    }

    /// `202 {"status":"OK"}`, the Runtime API's acknowledgement.
    static let accepted = HTTPReply(
        status: 202,
        headers: [("Content-Type", "application/json")],
        body: Array(#"{"status":"OK"}"#.utf8)
    )
}
