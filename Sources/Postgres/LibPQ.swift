internal import CLibPQ

#if canImport(Glibc)
internal import Glibc
#endif

/// The rows of one result, in text form (NULL as `nil`).
public struct PGRows: Sendable {
    /// Column names, in order.
    public let columns: [String]
    /// Row values by column position.
    public let rows: [[String?]]
    /// Rows affected, for INSERT/UPDATE/DELETE.
    public let affectedRows: Int

    /// The first row, if any.
    public var first: [String?]? { rows.first }
}

/// One libpq connection. The only type in Warden that calls libpq; not thread-safe (one per invocation loop).
///
/// Every wait — connecting, and reading results — is bounded by a deadline with `poll(2)` on libpq's socket, so
/// no database call can outlive the Lambda invocation: past the deadline the statement is cancelled and the
/// connection dropped.
public final class PGConnection {
    private let conn: OpaquePointer
    /// Set once a statement was cancelled mid-flight: the protocol state is unknown, so the connection is retired.
    private var retired = false
    /// The statements this session has prepared (`PQsendPrepare`) and whose Parse the server confirmed, by literal.
    /// Belongs to this connection: a new connection starts empty. A statement is entered only once its own Parse
    /// result came back successful — a Parse skipped because an earlier statement of its pipeline failed never
    /// enters it — and leaves it when the server says its plan went stale (`PostgresError.isStalePlan`).
    private var prepared: [StatementKey: String] = [:]
    /// The number behind the next prepared statement's name (`w1`, `w2`, …), never reused on this connection.
    private var preparedCount = 0
    /// At most this many statements are kept prepared per connection; beyond it, statements go unnamed (parsed and
    /// planned on every call, as before). The bound is never reached in practice: statements are `StaticString`
    /// literals, so there are as many as the binary holds (a few dozen per function), plus one per stale plan.
    static let preparedLimit = 256

    /// Connects with `settings`, giving up at `deadline` (milliseconds since the Unix epoch; `nil`: the settings'
    /// `connect_timeout` only).
    public init(settings: ConnectionSettings, deadline: Int64? = nil) throws(PostgresError) {
        let pairs = settings.parameters
        let keys = pairs.map { strdup($0.0) }
        let values = pairs.map { strdup($0.1) }
        defer {
            keys.forEach { free($0) }
            values.forEach { free($0) }
        }
        var keyPointers: [UnsafePointer<CChar>?] = keys.map { UnsafePointer($0) } + [nil]
        var valuePointers: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        let started = keyPointers.withUnsafeMutableBufferPointer { kp in
            valuePointers.withUnsafeMutableBufferPointer { vp in PQconnectStartParams(kp.baseAddress, vp.baseAddress, 0) }
        }
        guard let connection = started else { throw PostgresError(.connectionFailed, detail: "out of memory") }
        let connectTimeout = settings["connect_timeout"].flatMap { Int64($0) }.map { $0 * 1000 } ?? 5000
        let limit = min(deadline ?? Int64.max, nowMilliseconds() + connectTimeout)
        var state = PGRES_POLLING_WRITING
        while PQstatus(connection) != CONNECTION_BAD {
            state = PQconnectPoll(connection)
            if state == PGRES_POLLING_OK || state == PGRES_POLLING_FAILED { break }
            let ready = wait(on: PQsocket(connection), forWrite: state == PGRES_POLLING_WRITING, until: limit)
            if !ready {
                PQfinish(connection)
                throw PostgresError(.timeout, detail: "connection attempt exceeded its deadline")
            }
        }
        guard state == PGRES_POLLING_OK, PQstatus(connection) == CONNECTION_OK else {
            let detail = String(cString: PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresError(PostgresError.classifyConnectionFailure(detail), detail: detail)
        }
        conn = connection
    }

    deinit { PQfinish(conn) }

    /// `true` while libpq believes the connection is usable.
    public var isOpen: Bool { !retired && PQstatus(conn) == CONNECTION_OK }

    /// The server process id serving this connection.
    public var backendPID: Int32 { PQbackendPID(conn) }

    /// Runs one statement with bound parameters (extended protocol; text format in and out).
    public func execute(_ sql: SQL, _ binds: [PGValue], deadline: Int64? = nil) throws(PostgresError) -> PGRows {
        try pipeline([(sql, binds)], deadline: deadline)[0]
    }

    /// Sends `statements` in one round trip (libpq pipeline mode) and returns each one's rows.
    ///
    /// Each statement runs as a named prepared statement of this connection: prepared (Parse, parameter types left
    /// to the server) in the same pipeline just before its first use, then sent as Bind/Execute only.
    ///
    /// The statements form one implicit transaction: if any fails, none of their effects remain, and the first
    /// failure is thrown. `SET LOCAL`-style settings (`set_config(…, true)`) made by an earlier statement apply to
    /// the later ones and end with the batch.
    ///
    /// With `commit: false` the transaction stays open after the results came back (a flush request instead of the
    /// synchronisation point): later calls add statements to it, until one with `commit: true` ends it. After a
    /// failed statement the rest of the open transaction is refused (`pipeline aborted`) and it rolls back when it
    /// ends.
    ///
    /// A lost connection is `.connectionLost`; `outcomeUnknown` tells whether the server may have committed the
    /// transaction all the same (the synchronisation point had gone out and no statement had failed).
    public func pipeline(_ statements: [(SQL, [PGValue])], deadline: Int64? = nil, commit: Bool = true) throws(PostgresError) -> [PGRows] {
        guard PQenterPipelineMode(conn) == 1 else { throw lost("could not enter pipeline mode") }
        // Each statement is sent as Bind/Execute of a named statement this connection prepared; one seen for the
        // first time is prepared in the same pipeline, just before it (a Parse message: no round trip of its own).
        // `.init()`, not `[:]`: a size-optimised build makes an empty literal through `init(dictionaryLiteral:)`, which
        // looks up the element tuple's metadata on every call.
        var parses: [Int: (key: StatementKey, name: String)] = .init()
        var preparing: [StatementKey: String] = .init()
        for (index, (sql, binds)) in statements.enumerated() {
            var name: String?
            if let key = StatementKey(sql) {
                if let known = prepared[key] ?? preparing[key] {
                    name = known
                } else if prepared.count + preparing.count < Self.preparedLimit {
                    preparedCount += 1
                    let fresh = "w\(preparedCount)"
                    // Parameter types left to the server (none given), as for an unnamed statement.
                    guard PQsendPrepare(conn, fresh, sql.string, 0, nil) == 1 else { throw lost(String(cString: PQerrorMessage(conn))) }
                    preparing[key] = fresh
                    parses[index] = (key, fresh)
                    name = fresh
                }
            }
            let texts = binds.map { $0.textForm.map { strdup($0) } ?? nil }
            defer { texts.forEach { free($0) } }
            var pointers: [UnsafePointer<CChar>?] = texts.map { $0.map { UnsafePointer($0) } }
            let sent = pointers.withUnsafeMutableBufferPointer { pp in
                if let name { return PQsendQueryPrepared(conn, name, Int32(pp.count), pp.baseAddress, nil, nil, 0) }
                return PQsendQueryParams(conn, sql.string, Int32(pp.count), nil, pp.baseAddress, nil, nil, 0)
            }
            guard sent == 1 else { throw lost(String(cString: PQerrorMessage(conn))) }
        }
        if commit {
            guard PQpipelineSync(conn) == 1 else { throw lost(String(cString: PQerrorMessage(conn))) }
        } else {
            guard PQsendFlushRequest(conn) == 1, PQflush(conn) == 0 else { throw lost(String(cString: PQerrorMessage(conn))) }
        }

        var results: [PGRows] = []
        var failure: PostgresError?
        do throws(PostgresError) {
            for index in statements.indices {
                // The statement's Parse, when it was prepared in this batch: it becomes known to the connection
                // only if the server confirmed it (in an aborted pipeline the Parse was skipped).
                var parseFailure: PostgresError?
                if let parse = parses[index] {
                    let parsed = try nextResult(deadline: deadline)
                    if let terminator = try nextResult(deadline: deadline) { PQclear(terminator) }
                    do throws(PostgresError) {
                        _ = try consume(parsed)
                        prepared[parse.key] = parse.name
                    } catch {
                        parseFailure = error
                    }
                }
                let result = try nextResult(deadline: deadline)
                // Each statement's results end with a NULL.
                let terminator = try nextResult(deadline: deadline)
                if let terminator { PQclear(terminator) }
                do throws(PostgresError) {
                    if let parseFailure {
                        // The statement itself was skipped: its failure is the Parse's.
                        if let result { PQclear(result) }
                        throw parseFailure
                    }
                    results.append(try consume(result))
                } catch {
                    // A plan the server can no longer use (the schema changed the statement's result type): the
                    // statement is prepared afresh, under a new name, the next time it is sent.
                    if error.isStalePlan, let key = StatementKey(statements[index].0) { prepared[key] = nil }
                    if failure == nil {
                        failure = error
                        failure?.statementIndex = index
                    }
                    results.append(PGRows(columns: [], rows: [], affectedRows: 0))
                }
            }
            guard commit else {
                if let failure { throw failure }
                return results
            }
            // The synchronisation point.
            if let sync = try nextResult(deadline: deadline) { PQclear(sync) }
        } catch where error.code == .connectionLost || error.code == .timeout {
            // Lost or cancelled after the batch went out: once the synchronisation point was sent and nothing had
            // failed, the server may have committed before the connection went.
            var error = error
            error.outcomeUnknown = commit && failure == nil
            throw error
        }
        _ = PQexitPipelineMode(conn)
        if let failure { throw failure }
        return results
    }

    /// Whether the idle connection still looks usable: a server that ended the session (restart, administrator
    /// command, idle cut) has left its goodbye or end of file on the socket, which this reads without waiting.
    /// Called before a batch is sent, so a dead connection is replaced before anything depends on it.
    public func isAlive() -> Bool {
        guard isOpen else { return false }
        var descriptor = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) > 0 else { return true }
        return PQconsumeInput(conn) == 1 && PQstatus(conn) == CONNECTION_OK
    }

    /// Runs a trusted, literal script of several statements (simple protocol, no parameters): migrations only.
    public func executeScript(_ script: StaticString) throws(PostgresError) {
        let command = script.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
        _ = try consume(PQexec(conn, command))
    }

    /// Waits (bounded by `deadline`) for the next result. Past the deadline the statement is cancelled on the
    /// server and the connection given up, so the caller can answer before Lambda's own timeout.
    private func nextResult(deadline: Int64?) throws(PostgresError) -> OpaquePointer? {
        while PQisBusy(conn) == 1 {
            if let deadline, !wait(on: PQsocket(conn), forWrite: false, until: deadline) {
                cancel()
                throw PostgresError(.timeout, detail: "statement exceeded the invocation deadline")
            }
            if deadline == nil { _ = wait(on: PQsocket(conn), forWrite: false, until: Int64.max) }
            guard PQconsumeInput(conn) == 1 else { throw lost(String(cString: PQerrorMessage(conn))) }
        }
        return PQgetResult(conn)
    }

    /// Asks the server to cancel the running statement and retires the connection: its protocol state is no
    /// longer known, so it must not be reused.
    private func cancel() {
        if let handle = PQgetCancel(conn) {
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(handle, &buffer, Int32(buffer.count))
            PQfreeCancel(handle)
        }
        retired = true
    }

    private func lost(_ detail: String) -> PostgresError {
        PostgresError(isOpen ? .queryFailed : .connectionLost, detail: detail)
    }

    private func consume(_ result: OpaquePointer?) throws(PostgresError) -> PGRows {
        guard let result else { throw lost(String(cString: PQerrorMessage(conn))) }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
            if status == PGRES_PIPELINE_ABORTED { throw PostgresError(.queryFailed, detail: PostgresError.pipelineAborted) }
            let state = PQresultErrorField(result, WARDEN_PG_DIAG_SQLSTATE).map { String(cString: $0) }
            let detail = String(cString: PQresultErrorMessage(result))
            if !isOpen { throw PostgresError(.connectionLost, sqlState: state, detail: detail) }
            throw PostgresError(PostgresError.classify(sqlState: state), sqlState: state, detail: detail)
        }
        let fieldCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        var columns: [String] = []
        columns.reserveCapacity(fieldCount)
        for f in 0..<fieldCount { columns.append(String(cString: PQfname(result, Int32(f)))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(rowCount)
        for r in 0..<rowCount {
            var row: [String?] = []
            row.reserveCapacity(fieldCount)
            for f in 0..<fieldCount {
                if PQgetisnull(result, Int32(r), Int32(f)) != 0 {
                    row.append(nil)
                } else {
                    let length = Int(PQgetlength(result, Int32(r), Int32(f)))
                    let value = PQgetvalue(result, Int32(r), Int32(f))
                    row.append(value.map { ptr in
                        ptr.withMemoryRebound(to: UInt8.self, capacity: length) {
                            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                        }
                    } ?? "")
                }
            }
            rows.append(row)
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PGRows(columns: columns, rows: rows, affectedRows: affected)
    }
}

/// Milliseconds since the Unix epoch.
func nowMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

/// Waits until `fd` is readable (or writable) or `deadline` passes. Returns `false` on timeout.
private func wait(on fd: Int32, forWrite: Bool, until deadline: Int64) -> Bool {
    var descriptor = pollfd(fd: fd, events: Int16(forWrite ? POLLOUT : POLLIN), revents: 0)
    while true {
        let remaining = deadline == Int64.max ? -1 : max(0, deadline - nowMilliseconds())
        let rc = poll(&descriptor, 1, Int32(clamping: remaining))
        if rc > 0 { return true }
        if rc == 0 { return false }
        if errno != EINTR { return true }  // let libpq report the socket error
    }
}

/// A statement literal's identity: the address and length of its text in the binary (a `StaticString` is never
/// built at run time), so finding a prepared statement costs no hashing of its text.
struct StatementKey: Hashable {
    let address: UInt
    let length: Int

    /// `nil` for a literal without a text pointer (a single Unicode scalar), which is never prepared.
    init?(_ sql: SQL) {
        guard sql.text.hasPointerRepresentation else { return nil }
        address = UInt(bitPattern: sql.text.utf8Start)
        length = sql.text.utf8CodeUnitCount
    }
}
