/// The function's database: one connection, opened lazily on first use (never at init) and reused across
/// invocations. A connection that died (server restart, idle cut) is replaced before a batch is sent to it; a
/// batch whose connection is lost while it is in flight is sent again only when the server cannot have committed it.
///
/// Data is reachable only through `withTenant`, so no query can run without a tenant.
public final class Database {
    private var settings: ConnectionSettings
    private var connection: PGConnection?
    /// Statements that must commit together with the next tenant statement (replay record, rate-limit tokens).
    private var preamble: [(SQL, [PGValue])] = []
    /// The connection of the transaction `withTransaction` holds open, while it runs.
    private var held: PGConnection?

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

    /// Runs `body`'s statements and then `closing`'s in **one** transaction, which commits when both succeed and
    /// rolls back when anything fails or throws. `closing` gets `body`'s result and returns statements that are
    /// bound like a session's (`$1` is the tenant), sent together with the commit. A pending preamble joins the
    /// transaction. Nothing is re-sent after a lost connection: the error says whether the commit may have happened.
    ///
    /// The transaction stays open while `body` runs (one round trip per statement, plus the commit): `body` must not
    /// wait on anything but this database.
    public func withTransaction<T>(
        _ tenant: TenantID, deadline: Int64? = nil, _ body: (TenantSession) throws -> T,
        closing: (T) -> [(SQL, [PGValue])]
    ) throws -> T {
        precondition(held == nil, "transactions do not nest")
        let session = TenantSession(tenant: tenant, database: self, deadline: deadline.map { $0 - Self.deadlineReserveMilliseconds })
        let conn = try open(deadline: deadline)
        held = conn
        defer { held = nil }
        let value: T
        do {
            value = try body(session)
            let statements = closing(value).map { sql, binds in (sql, [PGValue.text(tenant.rawValue)] + binds) }
            _ = try conn.pipeline(preamble + [session.scopeStatement()] + statements, deadline: session.deadline, commit: true)
            preamble = []
        } catch {
            rollBack(conn)
            throw error
        }
        return value
    }

    /// Ends the held transaction without committing it (a failed statement had already doomed it; otherwise the
    /// explicit `ROLLBACK` ends it). A connection that cannot be rolled back is dropped, which rolls back too.
    private func rollBack(_ conn: PGConnection) {
        preamble = []
        guard conn.isOpen else {
            connection = nil
            return
        }
        do {
            _ = try conn.pipeline([(SQL("ROLLBACK"), [])], deadline: nowMilliseconds() + 1000, commit: true)
        } catch where error.code == .queryFailed && error.detail == PostgresError.pipelineAborted {
            // The transaction had failed already: the synchronisation point rolled it back.
        } catch {
            connection = nil
        }
    }

    /// Runs `statements` (after any pending preamble) in one pipelined transaction; returns their own results.
    /// Inside `withTransaction` they join its open transaction instead.
    func run(_ statements: [(SQL, [PGValue])], deadline: Int64?) throws(PostgresError) -> [PGRows] {
        if let deadline, deadline <= nowMilliseconds() {
            throw PostgresError(.timeout, detail: "no time left before the invocation deadline")
        }
        let batch = preamble + statements
        if let held {
            let results = try held.pipeline(batch, deadline: deadline, commit: false)
            let prefix = preamble.count
            preamble = []
            return Array(results.dropFirst(prefix))
        }
        let conn = try open(deadline: deadline)
        let results: [PGRows]
        do {
            results = try conn.pipeline(batch, deadline: deadline)
        } catch where error.code == .connectionLost && !error.outcomeUnknown {
            // The server dropped us after our last look (restart, failover, idle cut) and before it could commit
            // anything of the batch: send it again, preamble included, on a fresh connection.
            connection = nil
            results = try open(deadline: deadline).pipeline(batch, deadline: deadline)
        }
        let prefix = preamble.count
        preamble = []
        return Array(results.dropFirst(prefix))
    }

    private func open(deadline: Int64?) throws(PostgresError) -> PGConnection {
        if let connection, connection.isAlive() { return connection }
        connection = nil
        let fresh = try PGConnection(settings: try settings.prepared(deadline: deadline), deadline: deadline)
        connection = fresh
        return fresh
    }
}
