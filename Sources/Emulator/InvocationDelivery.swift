/// How an invocation's caller receives its answer.
enum InvocationDelivery {
    /// The whole result at once (``Emulator/invoke(event:clientContext:cognitoIdentity:tenantID:capturesLog:)``); a streamed response is
    /// collected into the result's body.
    case buffered(CheckedContinuation<InvocationResult, any Error>)
    /// Parts as they arrive (``Emulator/invokeStreaming(event:clientContext:cognitoIdentity:tenantID:)``).
    case streaming(AsyncThrowingStream<InvocationPart, any Error>.Continuation)

    /// Whether a streamed response must be collected for the caller.
    var collectsStream: Bool {
        if case .buffered = self { return true }
        return false
    }

    /// Delivers a part of a streamed response (buffered callers get nothing until the end).
    func yield(_ part: InvocationPart) {
        if case .streaming(let continuation) = self { continuation.yield(part) }
    }

    /// Delivers the final result.
    func complete(_ result: InvocationResult) {
        switch self {
        case .buffered(let continuation):
            continuation.resume(returning: result)
        case .streaming(let continuation):
            continuation.yield(.finished(result))
            continuation.finish()
        }
    }

    /// Ends the invocation without a result.
    func fail(_ error: any Error) {
        switch self {
        case .buffered(let continuation): continuation.resume(throwing: error)
        case .streaming(let continuation): continuation.finish(throwing: error)
        }
    }
}
