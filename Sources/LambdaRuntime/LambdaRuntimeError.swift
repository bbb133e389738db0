/// An error of the runtime itself (not of a handler). The description is generic; `detail` is for operators' logs.
public struct LambdaRuntimeError: Error, CustomStringConvertible, Sendable {
    /// What failed.
    public enum Code: String, Sendable {
        /// `AWS_LAMBDA_RUNTIME_API` is missing or malformed.
        case missingRuntimeAPI
        /// The Runtime API could not be reached or answered unexpectedly.
        case runtimeAPIUnavailable
        /// `/next` answered without a request id or deadline.
        case invalidInvocation
        /// The handler's response exceeds Lambda's limit (6 MB buffered; a stream past its limit is answered 413).
        case responseTooLarge
        /// The Runtime API refused an answer with a 4xx other than 413 (410: the invocation is over, for example it
        /// timed out). The loop logs it and goes on to the next invocation.
        case answerRefused
        /// Shutdown interrupted `/next` before any invocation arrived.
        case interrupted
        /// The handler could not be created.
        case initializationFailed
    }

    /// What failed.
    public let code: Code
    /// Extra context for logs (never secrets, never payloads).
    public let detail: String

    public init(_ code: Code, detail: String = "") {
        self.code = code
        self.detail = detail
    }

    public var description: String { "Lambda runtime error: \(code.rawValue)" }
}

/// An error that chooses how it is reported to Lambda (`errorType` of `/error` and `/init/error`).
public protocol LambdaReportableError: Error {
    /// The `errorType` reported to Lambda, e.g. `Runtime.HandlerError`.
    var lambdaErrorType: String { get }
    /// The `errorMessage` reported to Lambda. It must not reveal internals.
    var lambdaErrorMessage: String { get }
}
