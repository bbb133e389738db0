internal import Bytes

/// The function's database: one connection, opened lazily on first use (never at init) and reused across
/// invocations. A connection that died (server restart, idle cut) is replaced before a batch is sent to it; a
/// batch whose connection is lost while it is in flight is sent again only when the server cannot have committed it.
///
/// Data is reachable only through `withTenant`, so no query can run without a tenant.
///
/// With `DatabaseCredentials` (a URL kept in a secret store), the URL is checked before every connection is used —
/// a cached value's TTL check, nothing more while it is fresh — and a changed URL (a rotated secret) replaces the
/// connection. When the server refuses the login (`PostgresError.isAuthenticationFailure`: the password was rotated
/// before the cached value's TTL ran out), the credentials are invalidated and refetched at once, and the connection
/// is tried once more with the new URL. A store that cannot be read fails only what needs a new connection: an open
/// session keeps serving (its login is done) and the store is asked again after `credentialsRetryMilliseconds`.
public final class Database {
    private var settings: ConnectionSettings
    private var connection: PGConnection?
    /// Where a rotating URL comes from, and the generation `settings` were made from.
    private let credentials: (any DatabaseCredentials)?
    private var credentialsGeneration: Int
    /// The leading statements of `withTenant(_:deadline:leading:_:)` not yet sent: they join the next statement.
    private var preamble: [(SQL, [PGValue])] = []
    /// The trailing statements of `withTenant(_:deadline:leading:trailing:trailingResults:_:)` not yet sent: they
    /// follow the next statement that commits by itself, and their results land in `postscriptResults`.
    private var postscript: [(SQL, [PGValue])] = []
    private var postscriptResults: [PGRows]?
    /// The connection of the transaction `withTransaction` holds open, while it runs.
    private var held: PGConnection?

    /// Time kept back from the invocation's deadline for answering the caller after a cancelled statement.
    public static let deadlineReserveMilliseconds: Int64 = 250

    /// Parses the URL now; connects later, on first use.
    public init(url: String) throws(PostgresError) {
        settings = try ConnectionSettings(url: url)
        credentials = nil
        credentialsGeneration = 0
    }

    /// Creates a database from parsed settings.
    public init(settings: ConnectionSettings) {
        self.settings = settings
        credentials = nil
        credentialsGeneration = 0
    }

    /// A database whose URL comes from `credentials` and follows its rotations. Reads (and parses) the current URL
    /// now, so a missing or malformed secret fails here; connects later, on first use.
    public init(credentials: some DatabaseCredentials, timeoutMilliseconds: Int) throws(PostgresError) {
        let current = try credentials.current(timeoutMilliseconds: timeoutMilliseconds)
        settings = try ConnectionSettings(url: current.url)
        self.credentials = credentials
        credentialsGeneration = current.generation
    }

    /// Switches to new connection settings (a rotated secret): the next use connects with them.
    public func update(url: String) throws(PostgresError) {
        let fresh = try ConnectionSettings(url: url)
        guard fresh != settings else { return }
        settings = fresh
        connection = nil
    }

    /// Closes the connection, if one is open (libpq's `PQfinish` sends Postgres the Terminate message, so the server
    /// sees a clean disconnect): the runtime calls it at shutdown. A later use connects again.
    public func close() {
        held = nil
        connection = nil
    }

    /// Longest wait for the credentials' store when no deadline bounds it.
    public static let credentialsTimeoutMilliseconds = 2000
    /// After the credentials' store failed while an open session kept serving: no new attempt for this long, unless
    /// a new connection is needed.
    public static let credentialsRetryMilliseconds: Int64 = 10_000
    private var credentialsRetryAt: Int64 = .min

    /// Runs `body` with a session scoped to `tenant`. Statements run through the session must finish before
    /// `deadline` (milliseconds since the Unix epoch) less a small reserve, or they are cancelled.
    public func withTenant<T>(_ tenant: TenantID, deadline: Int64? = nil, _ body: (TenantSession) throws -> T) throws -> T {
        try body(TenantSession(tenant: tenant, database: self, deadline: deadline.map { $0 - Self.deadlineReserveMilliseconds }))
    }

    /// Runs `body` with a session scoped to `tenant` whose first statement is preceded, in the same pipeline and
    /// transaction, by `leading` (a request's guards: replay record, rate-limit tokens, idempotency reservation):
    /// if one of them fails, the statement never runs, and the failure's `statementIndex` is below
    /// `leading.count`. When `body` runs no statement, `leading` runs alone after it; when `body` throws, whatever
    /// of `leading` has not run is dropped. A batch that fails keeps `leading` for the session's next statement
    /// (its first charge rolled back with it).
    public func withTenant<T>(
        _ tenant: TenantID, deadline: Int64?, leading: [(SQL, [PGValue])], _ body: (TenantSession) throws -> T
    ) throws -> T {
        var ignored: [PGRows]?
        return try withTenant(tenant, deadline: deadline, leading: leading, trailing: [], trailingResults: &ignored, body)
    }

    /// As `withTenant(_:deadline:leading:_:)`, and `trailing` follows the first statement that commits by itself, in
    /// the same pipeline and transaction (so it commits with it, or not at all): a request's audit row, written
    /// without a round trip of its own. Its binds are its own (no tenant `$1`). `trailingResults` are its results
    /// once committed — also when `body` throws afterwards — and `nil` when it never committed (a refused guard, a
    /// failed statement, `body` throwing first): the caller then writes what it must some other way.
    public func withTenant<T>(
        _ tenant: TenantID, deadline: Int64?, leading: [(SQL, [PGValue])], trailing: [(SQL, [PGValue])],
        trailingResults: inout [PGRows]?, _ body: (TenantSession) throws -> T
    ) throws -> T {
        guard !leading.isEmpty || !trailing.isEmpty else { return try withTenant(tenant, deadline: deadline, body) }
        preamble = leading
        postscript = trailing
        postscriptResults = nil
        defer {
            preamble = []
            postscript = []
            trailingResults = postscriptResults
            postscriptResults = nil
        }
        let result = try withTenant(tenant, deadline: deadline, body)
        if !preamble.isEmpty || !postscript.isEmpty { _ = try run([], deadline: deadline.map { $0 - Self.deadlineReserveMilliseconds }) }
        return result
    }

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
            _ = try send(preamble + [session.scopeStatement()] + statements, on: conn, deadline: session.deadline, commit: true)
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
            _ = try send([(SQL("ROLLBACK"), [])], on: conn, deadline: nowMilliseconds() + 1000, commit: true)
        } catch where error.code == .queryFailed && error.detail == PostgresError.pipelineAborted {
            // The transaction had failed already: the synchronisation point rolled it back.
        } catch {
            connection = nil
        }
    }

    /// Runs `statements` (after any pending preamble, before any pending postscript) in one pipelined transaction;
    /// returns their own results. Inside `withTransaction` they join its open transaction instead (without the
    /// postscript, which must commit with them).
    func run(_ statements: [(SQL, [PGValue])], deadline: Int64?) throws(PostgresError) -> [PGRows] {
        if let deadline, deadline <= nowMilliseconds() {
            throw PostgresError(.timeout, detail: "no time left before the invocation deadline")
        }
        if let held {
            let batch = preamble + statements
            let results = try send(batch, on: held, deadline: deadline, commit: false)
            let prefix = preamble.count
            preamble = []
            return Array(results.dropFirst(prefix))
        }
        let batch = preamble + statements + postscript
        let conn = try open(deadline: deadline)
        let results: [PGRows]
        do {
            results = try send(batch, on: conn, deadline: deadline)
        } catch where error.code == .connectionLost && !error.outcomeUnknown {
            // The server dropped us after our last look (restart, failover, idle cut) and before it could commit
            // anything of the batch: send it again, preamble included, on a fresh connection.
            connection = nil
            results = try send(batch, on: try open(deadline: deadline), deadline: deadline)
        } catch where error.isStalePlan {
            results = try resend(batch, afterStalePlanOn: conn, deadline: deadline)
        }
        let prefix = preamble.count
        preamble = []
        if !postscript.isEmpty {
            postscriptResults = Array(results.suffix(postscript.count))
            postscript = []
        }
        return Array(results.dropFirst(prefix).prefix(statements.count))
    }

    /// Sends `batch` again after the server refused one of its prepared statements as stale: a migration changed the
    /// statement's result type since this connection prepared it. The refusal rolled the whole batch back at its
    /// synchronisation point (nothing of it committed) and the connection forgot the statement, so the batch goes out
    /// again and prepares it afresh. Another statement of the batch may be stale too, unseen while the aborted
    /// pipeline skipped it: each attempt forgets one, so there is at most one attempt per statement.
    private func resend(_ batch: [(SQL, [PGValue])], afterStalePlanOn conn: PGConnection, deadline: Int64?) throws(PostgresError) -> [PGRows] {
        var attempts = 1
        while true {
            do {
                return try send(batch, on: conn, deadline: deadline)
            } catch where error.isStalePlan && attempts < batch.count {
                attempts += 1
            }
        }
    }

    /// Round trips to the server so far: pipelined batches sent (connecting and logging in not counted). The
    /// request's log line reports how many it took (`MetricsMiddleware`).
    public private(set) var roundTrips = 0

    private func send(_ batch: [(SQL, [PGValue])], on conn: PGConnection, deadline: Int64?, commit: Bool = true) throws(PostgresError) -> [PGRows] {
        roundTrips += 1
        return try conn.pipeline(batch, deadline: deadline, commit: commit)
    }

    private func open(deadline: Int64?) throws(PostgresError) -> PGConnection {
        if let connection, connection.isAlive() {
            if credentials != nil, nowMilliseconds() >= credentialsRetryAt {
                do {
                    try followCredentials(deadline: deadline)
                } catch where error.code == .connectionFailed {
                    // The secret store failed (past its own grace period): the open session needs no password, so
                    // it keeps serving; the store is asked again after a pause, and at once for a new connection.
                    credentialsRetryAt = nowMilliseconds() + Self.credentialsRetryMilliseconds
                }
            }
            if let current = self.connection { return current }
        }
        connection = nil
        try followCredentials(deadline: deadline)
        let fresh: PGConnection
        do {
            fresh = try PGConnection(settings: try settings.prepared(deadline: deadline), deadline: deadline)
        } catch where error.isAuthenticationFailure && credentials != nil {
            // The login was refused with the cached URL: the secret was rotated before its TTL ran out. Refetch at
            // once and, when that gives another URL, try once more with it.
            credentials?.invalidate()
            guard try followCredentials(deadline: deadline) else { throw error }
            fresh = try PGConnection(settings: try settings.prepared(deadline: deadline), deadline: deadline)
        }
        connection = fresh
        return fresh
    }

    /// Picks up a changed URL from `credentials` (a cheap TTL check while the cached value is fresh); a new URL
    /// replaces the connection. Returns whether it changed.
    @discardableResult
    private func followCredentials(deadline: Int64?) throws(PostgresError) -> Bool {
        guard let credentials else { return false }
        var timeout = Self.credentialsTimeoutMilliseconds
        if let deadline {
            let left = deadline - nowMilliseconds()
            guard left > 0 else { throw PostgresError(.timeout, detail: "no time left before the invocation deadline") }
            timeout = Int(min(Int64(timeout), left))
        }
        let current = try credentials.current(timeoutMilliseconds: timeout)
        guard current.generation != credentialsGeneration else { return false }
        credentialsGeneration = current.generation
        let fresh = try ConnectionSettings(url: current.url)
        guard fresh != settings else { return false }
        settings = fresh
        connection = nil
        return true
    }
}

/// Where `Database` gets a connection URL that rotates (a secret in SSM Parameter Store or Secrets Manager): asked
/// before every connection is used, and told when the server refused the login made with it.
///
/// Belongs to the single-threaded invocation loop, like the database itself.
public protocol DatabaseCredentials: AnyObject {
    /// The URL to connect with and its generation, a number that changes whenever the URL does. Cheap while the
    /// cached value is fresh; otherwise refetched within `timeoutMilliseconds`. Errors never carry the URL.
    func current(timeoutMilliseconds: Int) throws(PostgresError) -> (url: String, generation: Int)
    /// The server refused the login made with the current URL: the next `current` refetches even within the TTL.
    func invalidate()
}

extension PostgresError {
    /// SQLSTATEs of a refused login: `28P01` (invalid_password), `28000` (invalid_authorization_specification: no
    /// `pg_hba.conf` entry, an unknown role).
    static let authenticationStates: Set<String> = ["28P01", "28000"]

    /// Whether the server refused the login — what a rotated password looks like. libpq reports a failed
    /// connection's SQLSTATE only inside its message (`FATAL:  28P01: …` with verbose errors) or not at all, so the
    /// server's own wording of those two states is recognised too.
    public var isAuthenticationFailure: Bool {
        if let sqlState { return Self.authenticationStates.contains(sqlState) }
        guard code == .connectionFailed else { return false }
        let markers = [
            ":  28P01: ", ":  28000: ", "password authentication failed", "no pg_hba.conf entry",
            "pg_hba.conf rejects connection",
        ]
        return markers.contains { detail.utf8.containsBytes($0.utf8) }
    }
}
