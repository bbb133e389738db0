public import LambdaRuntime
public import Secrets

// What the runtime's workers need from every function (see LambdaRuntime.run): one secrets cache shared by all of
// them, and a shutdown that closes each handler's database connection, so Postgres sees a clean disconnect instead
// of a dropped socket.

extension CopilotHandler {
    public mutating func shutdown() { database.close() }
}

extension APIHandler {
    public mutating func shutdown() { chain.database.close() }
}

extension StreamingAPIHandler {
    public mutating func shutdown() { chain.database.close() }
}

extension FunctionSecrets {
    /// The function's secrets, made once per process and shared by every worker; warnings go to the process logger.
    public static func forFunction(_ context: InitContext) -> FunctionSecrets {
        let logger = context.logger
        return FunctionSecrets(warning: { logger.warning("\($0)") })
    }
}
