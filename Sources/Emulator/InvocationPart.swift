/// One part of an invocation's answer as ``Emulator/invokeStreaming(event:clientContext:cognitoIdentity:tenantID:)`` delivers
/// it: a buffered response arrives as ``finished(_:)`` alone (its body in the result); a streamed one as
/// ``streamStarted(contentType:)``, any number of ``chunk(_:)``, then ``finished(_:)``.
public enum InvocationPart: Sendable {
    /// The function began a streamed response (`Lambda-Runtime-Function-Response-Mode: streaming`) with this
    /// `Content-Type`.
    case streamStarted(contentType: String)
    /// Bytes of a streamed response, in order, as the function sent them.
    case chunk([UInt8])
    /// The end of the invocation. For a stream that failed midway (error trailers, timeout, crash, size limit)
    /// `isError` is true and `errorType` / `body` hold the error; for a stream that ended well `body` is empty.
    case finished(InvocationResult)
}
