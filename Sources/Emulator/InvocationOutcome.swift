/// How an invocation ended, before it is turned into an ``InvocationResult`` and REPORT line.
struct InvocationOutcome {
    var body: [UInt8]
    var isError: Bool
    var errorType: String?
    /// `timeout` / `error` on the REPORT line, as AWS marks sandbox-level failures.
    var status: String?
    /// Whether the function streamed its response, and how many bytes reached the caller.
    var streamed = false
    var streamedBytes = 0

    static func success(_ body: [UInt8]) -> InvocationOutcome {
        InvocationOutcome(body: body, isError: false, errorType: nil, status: nil)
    }

    /// A failure whose body is `{"errorMessage","errorType"}`.
    static func failure(type: String, message: String, status: String?) -> InvocationOutcome {
        InvocationOutcome(body: ErrorDocument.make(message: message, type: type), isError: true, errorType: type, status: status)
    }
}
