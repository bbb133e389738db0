/// The function's database: one connection, opened lazily on first use (never at init) and reused across
/// invocations. A connection that died (server restart, idle cut) is replaced once, transparently.
///
/// Data is reachable only through `withTenant`, so no query can run without a tenant.
public final class Database {
    private let settings: ConnectionSettings
    private var connection: PGConnection?

    /// Parses the URL now; connects later, on first use.
    public init(url: String) throws(PostgresError) {
        settings = try ConnectionSettings(url: url)
    }

    /// Creates a database from parsed settings.
    public init(settings: ConnectionSettings) {
        self.settings = settings
    }

    /// Runs `body` with a session scoped to `tenant`.
    public func withTenant<T>(_ tenant: TenantID, _ body: (TenantSession) throws -> T) throws -> T {
        try body(TenantSession(tenant: tenant, database: self))
    }

    /// The server process id of the current connection (opening one if needed): shows connection reuse.
    public func backendPID() throws(PostgresError) -> Int32 { try open().backendPID }

    /// Runs a literal multi-statement script (migrations). Not tenant-scoped: for the `warden migrate` tool.
    public func runScript(_ script: StaticString) throws(PostgresError) {
        try open().executeScript(script)
    }

    /// Runs a statement outside any tenant: only for administrative tools (migrations, seeding), never functions.
    public func administrativeExecute(_ sql: SQL, _ binds: [PGValue] = []) throws(PostgresError) -> PGRows {
        try run(sql, binds)
    }

    func run(_ sql: SQL, _ binds: [PGValue]) throws(PostgresError) -> PGRows {
        let conn = try open()
        do {
            return try conn.execute(sql, binds)
        } catch where error.code == .connectionLost {
            // The server dropped us (restart, failover, idle timeout): reconnect once and retry.
            connection = nil
            return try open().execute(sql, binds)
        }
    }

    private func open() throws(PostgresError) -> PGConnection {
        if let connection, connection.isOpen { return connection }
        connection = nil
        let fresh = try PGConnection(settings: try settings.prepared())
        connection = fresh
        return fresh
    }
}

/// A view of the database for one tenant. Every statement receives the tenant as parameter `$1`; the statement's
/// own values follow as `$2`, `$3`, ….
public struct TenantSession {
    /// The tenant this session is scoped to.
    public let tenant: TenantID
    let database: Database

    /// Runs `sql` with `$1` bound to the tenant and `binds` as `$2…`.
    public func query(_ sql: SQL, _ binds: [PGValue] = []) throws(PostgresError) -> PGRows {
        try database.run(sql, [.text(tenant.rawValue)] + binds)
    }
}
