public import Logging
internal import Platform

/// Everything the Runtime API said about one invocation, plus the invocation's logger.
public struct LambdaContext: Sendable {
    /// `Lambda-Runtime-Aws-Request-Id`: the invocation's request id.
    public let requestID: String
    /// `Lambda-Runtime-Deadline-Ms`: when Lambda will stop the invocation, in milliseconds since the Unix epoch.
    public let deadlineMilliseconds: Int64
    /// `Lambda-Runtime-Invoked-Function-Arn`: the ARN the caller invoked (it may name an alias or version).
    public let invokedFunctionARN: String
    /// `Lambda-Runtime-Trace-Id`: the X-Ray tracing header, exported as `_X_AMZN_TRACE_ID` during the invocation.
    public let traceID: String?
    /// `Lambda-Runtime-Client-Context`: the mobile SDK's client context (JSON text), when the caller sent one.
    public let clientContext: String?
    /// `Lambda-Runtime-Cognito-Identity`: the caller's Amazon Cognito identity (JSON text), when there is one.
    public let cognitoIdentity: String?
    /// `Lambda-Runtime-Aws-Tenant-Id`: the tenant Lambda runs this invocation for (tenant isolation mode); `nil`
    /// otherwise, never empty.
    public let tenantID: String?
    /// A logger whose lines carry this invocation's request id (and `tenantId`, when there is one).
    public let logger: Logger

    /// Creates a context. The runtime makes one per invocation; tests may make their own.
    public init(
        requestID: String,
        deadlineMilliseconds: Int64,
        invokedFunctionARN: String,
        traceID: String? = nil,
        clientContext: String? = nil,
        cognitoIdentity: String? = nil,
        tenantID: String? = nil,
        logger: Logger
    ) {
        self.requestID = requestID
        self.deadlineMilliseconds = deadlineMilliseconds
        self.invokedFunctionARN = invokedFunctionARN
        self.traceID = traceID
        self.clientContext = clientContext
        self.cognitoIdentity = cognitoIdentity
        self.tenantID = tenantID.flatMap { $0.isEmpty ? nil : $0 }
        self.logger = logger
    }

    /// Milliseconds left before the deadline (negative once it has passed).
    public var remainingMilliseconds: Int64 { deadlineMilliseconds - Platform.nowMilliseconds() }
}
