/// The function's database: one connection, opened lazily on first use (never at init) and reused across
/// invocations. A connection that died (server restart, idle cut) is replaced once, transparently.
///
/// Data is reachable only through `withTenant`, so no query can run without a tenant.
public final class Database {
    private var settings: ConnectionSettings
    private var connection: PGConnection?
    /// Statements that must commit together with the next tenant statement (replay record, rate-limit tokens).
    private var preamble: [(SQL, [PGValue])] = []

    /// Time kept back from the invocation's deadline for answering the caller after a cancelled statement.
    public static let deadlineReserveMilliseconds: Int64 = 250

    /// Parses the URL now; connects later, on first use.
    public init(url: String) throws(PostgresError) {
        settings = try ConnectionSettings(url: url)
    }

    /// Creates a database from parsed settings.
    public init(settings: ConnectionSettings) {
        self.settings = settings
    }

    /// Switches to new connection settings (a rotated secret): the next use connects with them.
    public func update(url: String) throws(PostgresError) {
        let fresh = try ConnectionSettings(url: url)
        guard fresh != settings else { return }
        settings = fresh
        connection = nil
    }

    /// Runs `body` with a session scoped to `tenant`. Statements run through the session must finish before
    /// `deadline` (milliseconds since the Unix epoch) less a small reserve, or they are cancelled.
    public func withTenant<T>(_ tenant: TenantID, deadline: Int64? = nil, _ body: (TenantSession) throws -> T) throws -> T {
        try body(TenantSession(tenant: tenant, database: self, deadline: deadline.map { $0 - Self.deadlineReserveMilliseconds }))
    }

    /// Sets statements to run atomically in front of the next database call (its pipeline and transaction): if one
    /// fails, the call's own statements never run. A failure reports `statementIndex` below `count`.
    public func prepend(_ statements: [(SQL, [PGValue])]) { preamble = statements }

    /// Runs the pending preamble on its own if no statement has taken it yet; returns whether one ran.
    public func flushPreamble(deadline: Int64?) throws(PostgresError) {
        guard !preamble.isEmpty else { return }
        _ = try run([], deadline: deadline)
    }

    /// Drops a pending preamble (the call failed before reaching the database).
    public func discardPreamble() { preamble = [] }

    /// Runs a literal multi-statement script (migrations). Not tenant-scoped: for the `warden migrate` tool.
    public func runScript(_ script: StaticString) throws(PostgresError) {
        try open(deadline: nil).executeScript(script)
    }

    /// Runs a statement outside any tenant: for administrative tools (migrations) and for writing audit events,
    /// whose table the functions' role may only insert into.
    public func administrativeExecute(_ sql: SQL, _ binds: [PGValue] = [], deadline: Int64? = nil) throws(PostgresError) -> PGRows {
        try run([(sql, binds)], deadline: deadline)[0]
    }

    /// Runs `statements` (after any pending preamble) in one pipelined transaction; returns their own results.
    func run(_ statements: [(SQL, [PGValue])], deadline: Int64?) throws(PostgresError) -> [PGRows] {
        if let deadline, deadline <= nowMilliseconds() {
            throw PostgresError(.timeout, detail: "no time left before the invocation deadline")
        }
        let batch = preamble + statements
        let conn = try open(deadline: deadline)
        let results: [PGRows]
        do {
            results = try conn.pipeline(batch, deadline: deadline)
        } catch where error.code == .connectionLost {
            // The server dropped us (restart, failover, idle timeout): reconnect once and retry. Nothing of the
            // batch committed, so the preamble is sent again with it.
            connection = nil
            results = try open(deadline: deadline).pipeline(batch, deadline: deadline)
        }
        let prefix = preamble.count
        preamble = []
        return Array(results.dropFirst(prefix))
    }

    private func open(deadline: Int64?) throws(PostgresError) -> PGConnection {
        if let connection, connection.isOpen { return connection }
        connection = nil
        let fresh = try PGConnection(settings: try settings.prepared(deadline: deadline), deadline: deadline)
        connection = fresh
        return fresh
    }
}
