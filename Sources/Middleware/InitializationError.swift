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
    ///
    /// Every function gets its database here, so every function follows a rotated database secret the same way: a
    /// URL from SSM or Secrets Manager is handed to `Database` as `DatabaseCredentials` — checked against its TTL
    /// before each connection is used, refetched at once when Postgres refuses the login (see `Database`).
    public static func database(from secrets: FunctionSecrets) throws(InitializationError) -> Database {
        do {
            // Read now: an unreadable secret fails the initialization, naming the parameter or secret.
            let url = try secrets.databaseURL()
            guard try secrets.databaseURLRotates() else { return try Database(url: url) }
            return try Database(
                credentials: SecretsDatabaseCredentials(secrets), timeoutMilliseconds: FunctionSecrets.defaultTimeoutMilliseconds
            )
        } catch let error as SecretsError {
            throw InitializationError("Configuration error: \(error.description)")
        } catch {
            throw InitializationError("Configuration error: DATABASE_URL is not a valid postgresql:// URL")
        }
    }
}

/// `FunctionSecrets`' database URL as `DatabaseCredentials`: the TTL-cached value and its generation; an invalidation
/// makes the next read refetch. A failure to read the secret becomes `.connectionFailed` whose detail is the
/// `SecretsError`'s description (names and failure kinds, never a value), so it is logged like a refused connection.
final class SecretsDatabaseCredentials: DatabaseCredentials {
    let secrets: FunctionSecrets
    /// Starts the detail of a `PostgresError` made from a `SecretsError`.
    static let detailPrefix = "database secret: "

    init(_ secrets: FunctionSecrets) { self.secrets = secrets }

    func current(timeoutMilliseconds: Int) throws(PostgresError) -> (url: String, generation: Int) {
        do {
            // One read: another worker may refresh the shared cache between two.
            let current = try secrets.currentDatabaseURL(timeoutMilliseconds: timeoutMilliseconds)
            return (current.url, current.generation)
        } catch {
            // Logged here: the database may keep serving from its open session and say nothing.
            secrets.warning("database: the database secret could not be read (\(error.description))")
            throw PostgresError(.connectionFailed, detail: Self.detailPrefix + error.description)
        }
    }

    func invalidate() {
        secrets.warning("database: the server refused the login made with the cached database secret; refetching the secret now")
        secrets.invalidateDatabaseURL()
    }
}
