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
public final class PGConnection {
    private let conn: OpaquePointer

    /// Connects with `settings` (blocking, bounded by its `connect_timeout`).
    public init(settings: ConnectionSettings) throws(PostgresError) {
        let pairs = settings.parameters
        let keys = pairs.map { strdup($0.0) }
        let values = pairs.map { strdup($0.1) }
        defer {
            keys.forEach { free($0) }
            values.forEach { free($0) }
        }
        var keyPointers: [UnsafePointer<CChar>?] = keys.map { UnsafePointer($0) } + [nil]
        var valuePointers: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        let connection = keyPointers.withUnsafeMutableBufferPointer { kp in
            valuePointers.withUnsafeMutableBufferPointer { vp in PQconnectdbParams(kp.baseAddress, vp.baseAddress, 0) }
        }
        guard let connection else { throw PostgresError(.connectionFailed, detail: "out of memory") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let detail = String(cString: PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresError(.connectionFailed, detail: detail)
        }
        conn = connection
    }

    deinit { PQfinish(conn) }

    /// `true` while libpq believes the connection is usable.
    public var isOpen: Bool { PQstatus(conn) == CONNECTION_OK }

    /// The server process id serving this connection.
    public var backendPID: Int32 { PQbackendPID(conn) }

    /// Runs one statement with bound parameters (extended protocol; text format in and out).
    public func execute(_ sql: SQL, _ binds: [PGValue]) throws(PostgresError) -> PGRows {
        let texts = binds.map { $0.textForm.map { strdup($0) } ?? nil }
        defer { texts.forEach { free($0) } }
        var pointers: [UnsafePointer<CChar>?] = texts.map { $0.map { UnsafePointer($0) } }
        let result = sql.text.withUTF8Buffer { textBuffer -> OpaquePointer? in
            // StaticString is not NUL-terminated in general; copy once into a C string.
            let command = String(decoding: textBuffer, as: UTF8.self)
            return pointers.withUnsafeMutableBufferPointer { pp in
                PQexecParams(conn, command, Int32(pp.count), nil, pp.baseAddress, nil, nil, 0)
            }
        }
        return try consume(result)
    }

    /// Runs a trusted, literal script of several statements (simple protocol, no parameters): migrations only.
    public func executeScript(_ script: StaticString) throws(PostgresError) {
        let command = script.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
        _ = try consume(PQexec(conn, command))
    }

    private func consume(_ result: OpaquePointer?) throws(PostgresError) -> PGRows {
        guard let result else {
            throw PostgresError(isOpen ? .queryFailed : .connectionLost, detail: String(cString: PQerrorMessage(conn)))
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
            let state = PQresultErrorField(result, WARDEN_PG_DIAG_SQLSTATE).map { String(cString: $0) }
            let detail = String(cString: PQresultErrorMessage(result))
            if !isOpen { throw PostgresError(.connectionLost, sqlState: state, detail: detail) }
            let code: PostgresError.Code = state == "57014" ? .timeout : .queryFailed
            throw PostgresError(code, sqlState: state, detail: detail)
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
