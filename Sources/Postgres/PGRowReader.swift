/// One result row read column after column, in the statement's order, each as the type the statement gives it:
/// no column numbers to keep in step with a select list, no text parsing at the call sites. A value that is not
/// of the type asked for, reading past the last column, or leaving columns unread (`PGRows.decode`) is
/// `unexpectedResult`: a statement and its reader cannot drift apart silently. `NULL` reads as `nil`.
public struct PGRowReader {
    private let values: [String?]
    private var position = 0

    public init(_ values: [String?]) {
        self.values = values
    }

    /// Whether every column has been read.
    public var isAtEnd: Bool { position == values.count }

    /// The next column as text.
    public mutating func text() throws(PostgresError) -> String? {
        guard position < values.count else { throw PostgresError(.unexpectedResult, detail: "fewer columns than read") }
        defer { position += 1 }
        return values[position]
    }

    /// The next column as an integer (`integer`, `bigint`).
    public mutating func int() throws(PostgresError) -> Int? {
        try parsed("not an integer") { Int($0) }
    }

    /// The next column as a 64-bit integer (`bigint`).
    public mutating func int64() throws(PostgresError) -> Int64? {
        try parsed("not an integer") { Int64($0) }
    }

    /// The next column as a boolean (`t` or `f`).
    public mutating func bool() throws(PostgresError) -> Bool? {
        try parsed("not a boolean") { $0 == "t" ? true : $0 == "f" ? false : nil }
    }

    private mutating func parsed<T>(_ what: String, _ parse: (String) -> T?) throws(PostgresError) -> T? {
        guard let text = try text() else { return nil }
        guard let value = parse(text) else { throw PostgresError(.unexpectedResult, detail: "column \(position - 1): \(what)") }
        return value
    }
}

extension PGRows {
    /// Each row through `read`, which must read every column of it (see `PGRowReader`).
    public func decode<T>(_ read: (inout PGRowReader) throws(PostgresError) -> T) throws(PostgresError) -> [T] {
        var decoded: [T] = []
        decoded.reserveCapacity(rows.count)
        for row in rows {
            var reader = PGRowReader(row)
            decoded.append(try read(&reader))
            guard reader.isAtEnd else { throw PostgresError(.unexpectedResult, detail: "more columns than read") }
        }
        return decoded
    }
}
