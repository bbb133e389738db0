public import LambdaRuntime
public import Postgres
public import Secrets

/// A function that cannot start (missing setting, unreadable secret), reported to `/init/error`. The message
/// names settings and parameters, never their values.
public struct InitializationError: Error, LambdaReportableError, CustomStringConvertible, Sendable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var lambdaErrorType: String { "Runtime.ConfigurationError" }
    public var lambdaErrorMessage: String { message }
    public var description: String { message }
}

extension InitializationError {
    /// The function's database from its secrets (`DATABASE_URL` or its SSM / Secrets Manager forms); an unreadable
    /// secret or a malformed URL is a configuration error naming the setting, never its value.
    public static func database(from secrets: FunctionSecrets) throws(InitializationError) -> Database {
        do {
            return try Database(url: try secrets.databaseURL())
        } catch let error as SecretsError {
            throw InitializationError("Configuration error: \(error.description)")
        } catch {
            throw InitializationError("Configuration error: DATABASE_URL is not a valid postgresql:// URL")
        }
    }
}
