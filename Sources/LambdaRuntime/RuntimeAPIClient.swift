/// One invocation as `/next` delivered it.
public struct Invocation: Sendable {
    /// The event payload.
    public var event: [UInt8]
    /// The `Lambda-Runtime-*` headers.
    public var metadata: InvocationMetadata
}

/// The `Lambda-Runtime-*` headers of one `/next` response.
public struct InvocationMetadata: Sendable, Equatable {
    public var requestID: String
    public var deadlineMilliseconds: Int64
    public var invokedFunctionARN: String
    public var traceID: String?
    public var clientContext: String?
    public var cognitoIdentity: String?
}

/// An error as Lambda wants it reported: `{errorMessage, errorType}` plus the error-type header.
public struct ErrorReport: Sendable, Equatable {
    public var errorType: String
    public var errorMessage: String

    public init(errorType: String, errorMessage: String) {
        self.errorType = errorType
        self.errorMessage = errorMessage
    }
}

/// The Runtime API as the loop uses it. `CurlRuntimeClient` speaks HTTP; tests may provide their own.
public protocol RuntimeAPIClient {
    /// `GET /runtime/invocation/next`: blocks until an invocation arrives.
    mutating func next() throws(LambdaRuntimeError) -> Invocation
    /// `POST /runtime/invocation/{id}/response`.
    mutating func respond(requestID: String, body: [UInt8]) throws(LambdaRuntimeError)
    /// `POST /runtime/invocation/{id}/error`.
    mutating func reportError(requestID: String, _ report: ErrorReport) throws(LambdaRuntimeError)
    /// `POST /runtime/init/error`.
    mutating func reportInitError(_ report: ErrorReport) throws(LambdaRuntimeError)
}
