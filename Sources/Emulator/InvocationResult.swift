/// The outcome of one invocation, with the measurements Lambda reports for it.
public struct InvocationResult: Sendable {
    /// The Lambda request id (a lowercase UUID).
    public var requestID: String
    /// The function's response body, or on error the error document (`{"errorMessage", "errorType", ...}`). A streamed
    /// response that ended well is here in full for ``Emulator/invoke(event:clientContext:cognitoIdentity:tenantID:capturesLog:)`` and
    /// empty for ``Emulator/invokeStreaming(event:clientContext:cognitoIdentity:tenantID:)`` (its bytes came as chunks).
    public var body: [UInt8]
    /// True when the invocation failed (function error, timeout, crash, init error, oversized response): what Lambda's
    /// Invoke marks with `X-Amz-Function-Error: Unhandled`.
    public var isError: Bool
    /// The error type for failures (`Sandbox.Timedout`, `Runtime.ExitError`, what the function posted, ...).
    public var errorType: String?
    /// Time from the event being handed out by `/next` (or from the invoke, if it never was) to the answer, in ms.
    public var durationMs: Double
    /// `Duration` rounded up to a whole millisecond (at least 1).
    public var billedDurationMs: Int
    /// Spawn-to-first-`/next` time of the process, only on the first invocation that process serves.
    public var initDurationMs: Double?
    /// Peak resident memory of the function process in MB (VmHWM, or ru_maxrss once it has exited).
    public var maxMemoryUsedMB: Int
    /// `timeout` or `error` for failures Lambda marks on its REPORT line; nil otherwise.
    public var status: String?
    /// The `REPORT RequestId: ...` line exactly as logged.
    public var reportLine: String
    /// True when the function answered with a streamed response (`Lambda-Runtime-Function-Response-Mode: streaming`).
    public var streamed: Bool
    /// How many bytes of the streamed response reached the caller (at most 20 MiB); 0 for buffered responses.
    public var streamedBytes: Int
    /// The last 4 KB of the invocation's log (`X-Amz-Log-Result`, before base64) when the invoke asked for it
    /// (`X-Amz-Log-Type: Tail`); nil otherwise.
    public var logTail: [UInt8]?

    /// Creates a result (normally only the emulator does).
    public init(
        requestID: String,
        body: [UInt8],
        isError: Bool,
        errorType: String?,
        durationMs: Double,
        billedDurationMs: Int,
        initDurationMs: Double?,
        maxMemoryUsedMB: Int,
        status: String?,
        reportLine: String,
        streamed: Bool = false,
        streamedBytes: Int = 0,
        logTail: [UInt8]? = nil
    ) {
        self.requestID = requestID
        self.body = body
        self.isError = isError
        self.errorType = errorType
        self.durationMs = durationMs
        self.billedDurationMs = billedDurationMs
        self.initDurationMs = initDurationMs
        self.maxMemoryUsedMB = maxMemoryUsedMB
        self.status = status
        self.reportLine = reportLine
        self.streamed = streamed
        self.streamedBytes = streamedBytes
        self.logTail = logTail
    }
}
