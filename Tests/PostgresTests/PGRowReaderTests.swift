import Testing

@testable import Postgres

/// Rows read column after column, typed: the statement's text values become integers and booleans, NULL is
/// `nil`, and any drift between a select list and its reader is `unexpectedResult`.
@Suite struct PGRowReaderTests {
    func rows(_ rows: [[String?]]) -> PGRows { PGRows(columns: [], rows: rows, affectedRows: 0) }

    @Test func readsEachColumnAsItsType() throws {
        let decoded = try rows([["acme", "t", "42", "-9000000000", nil], [nil, "f", nil, nil, "x"]]).decode {
            (row) throws(PostgresError) in
            (try row.text(), try row.bool(), try row.int(), try row.int64(), try row.text())
        }
        #expect(decoded.count == 2)
        #expect(decoded[0] == ("acme", true, 42, -9_000_000_000, nil))
        #expect(decoded[1] == (nil, false, nil, nil, "x"))
    }

    @Test(arguments: [
        ["x"],  // fewer columns than read
        ["1", "2", "3"],  // more columns than read
        ["one", "2"],  // not an integer
    ] as [[String?]])
    func driftIsAnUnexpectedResult(_ row: [String?]) {
        #expect(throws: PostgresError.self) {
            _ = try rows([row]).decode { (reader) throws(PostgresError) in (try reader.int(), try reader.int()) }
        }
    }

    @Test func aBooleanIsTOrF() {
        #expect(throws: PostgresError.self) {
            _ = try rows([["true"]]).decode { (reader) throws(PostgresError) in try reader.bool() }
        }
    }
}
