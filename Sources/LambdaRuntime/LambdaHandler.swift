/// The base handler: raw event bytes in, raw response bytes out. The runtime loop drives only this protocol.
public protocol ByteHandler: SendableMetatype {
    /// Handles one invocation. A thrown error is reported to `/error`.
    mutating func handle(_ event: [UInt8], context: LambdaContext) throws -> [UInt8]
    /// Handles one invocation, buffered or streamed. The runtime loop calls only this; the default answers
    /// ``handle(_:context:)``'s bytes as a buffered response.
    mutating func respond(to event: [UInt8], context: LambdaContext) throws -> LambdaResponse
    /// Releases what the handler holds open (database connections) at shutdown; the default does nothing. The
    /// runtime calls it once, after the worker's last invocation, on the worker's own thread.
    mutating func shutdown()
}

extension ByteHandler {
    public mutating func respond(to event: [UInt8], context: LambdaContext) throws -> LambdaResponse {
        .buffered(try handle(event, context: context))
    }

    public mutating func shutdown() {}
}
