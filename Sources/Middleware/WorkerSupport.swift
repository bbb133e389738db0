internal import LambdaRuntime

// At shutdown (SIGTERM, see LambdaRuntime.run) every handler closes its database connection, so Postgres sees a
// clean disconnect instead of a dropped socket.

extension CopilotHandler {
    public mutating func shutdown() { database.close() }
}

extension APIHandler {
    public mutating func shutdown() { chain.database.close() }
}

extension StreamingAPIHandler {
    public mutating func shutdown() { chain.database.close() }
}
