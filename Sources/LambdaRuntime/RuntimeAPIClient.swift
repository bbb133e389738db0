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
    /// `Lambda-Runtime-Aws-Tenant-Id`: the tenant of a function in tenant isolation mode; `nil` when absent or empty.
    public var tenantID: String?
    /// `Lambda-Runtime-Invocation-Id`: echoed on this invocation's `/response` and `/error`, so that an answer
    /// that comes too late cannot be taken for another invocation's; `nil` when `/next` sent none.
    public var invocationID: String?

    public init(
        requestID: String, deadlineMilliseconds: Int64, invokedFunctionARN: String, traceID: String? = nil,
        clientContext: String? = nil, cognitoIdentity: String? = nil, tenantID: String? = nil, invocationID: String? = nil
    ) {
        self.requestID = requestID
        self.deadlineMilliseconds = deadlineMilliseconds
        self.invokedFunctionARN = invokedFunctionARN
        self.traceID = traceID
        self.clientContext = clientContext
        self.cognitoIdentity = cognitoIdentity
        self.tenantID = tenantID
        self.invocationID = invocationID
    }
}

/// Which invocation an answer is for: the request id of the URL, and the invocation id echoed as
/// `Lambda-Runtime-Invocation-Id` when `/next` sent one.
public struct InvocationTarget: Sendable, Equatable {
    public var requestID: String
    public var invocationID: String?

    public init(requestID: String, invocationID: String? = nil) {
        self.requestID = requestID
        self.invocationID = invocationID
    }
}

extension InvocationMetadata {
    /// Where this invocation's answer goes.
    public var target: InvocationTarget { InvocationTarget(requestID: requestID, invocationID: invocationID) }
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
    /// `POST /runtime/invocation/{id}/response`. Throws `.answerRefused` when the Runtime API refuses the answer
    /// with a 4xx (410: the invocation is over, e.g. timed out) and `.responseTooLarge` for 413.
    mutating func respond(_ target: InvocationTarget, body: [UInt8]) throws(LambdaRuntimeError)
    /// `POST /runtime/invocation/{id}/response` in streaming mode (`Lambda-Runtime-Function-Response-Mode:
    /// streaming`, chunked transfer encoding, `Content-Type: contentType`): `next` is pulled until it answers
    /// ``StreamedResponsePart/end`` or ``StreamedResponsePart/failed(_:)``; a failure is sent as the
    /// `Lambda-Runtime-Function-Error-Type` and `Lambda-Runtime-Function-Error-Body` trailers.
    /// Throws `.responseTooLarge` when the Runtime API answered 413 (the stream exceeded its limit).
    mutating func respondStreaming(
        _ target: InvocationTarget, contentType: String, next: () -> StreamedResponsePart
    ) throws(LambdaRuntimeError)
    /// `POST /runtime/invocation/{id}/error` (`.answerRefused` as for `respond`).
    mutating func reportError(_ target: InvocationTarget, _ report: ErrorReport) throws(LambdaRuntimeError)
    /// `POST /runtime/init/error`.
    mutating func reportInitError(_ report: ErrorReport) throws(LambdaRuntimeError)
}

/// One step of a streamed response as the loop hands it to ``RuntimeAPIClient/respondStreaming(_:contentType:next:)``.
public enum StreamedResponsePart: Sendable, Equatable {
    /// More bytes (may be empty).
    case chunk([UInt8])
    /// The stream ended well.
    case end
    /// The stream failed: report this error in the trailers.
    case failed(ErrorReport)
}

extension RuntimeAPIClient {
    /// A fallback for clients without streaming: collects the stream and posts it buffered (or its error to `/error`).
    public mutating func respondStreaming(
        _ target: InvocationTarget, contentType: String, next: () -> StreamedResponsePart
    ) throws(LambdaRuntimeError) {
        var body: [UInt8] = []
        while true {
            switch next() {
            case .chunk(let bytes): body.append(contentsOf: bytes)
            case .end: return try respond(target, body: body)
            case .failed(let report): return try reportError(target, report)
            }
        }
    }
}
