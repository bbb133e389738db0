import Testing

@testable import Middleware
@testable import Postgres

/// Which audit row committed with a request's own statements: the one alternative whose statement appended it.
@Suite struct AuditRecordedTests {
    let alternatives = [
        AuditAlternative(outcome: "ok", status: 200, statement: (SQL("SELECT 1"), [])),
        AuditAlternative(outcome: "MISSING_DATA", status: 404, statement: (SQL("SELECT 2"), [])),
    ]

    func results(_ affected: [Int]) -> [PGRows] { affected.map { PGRows(columns: [], rows: [], affectedRows: $0) } }

    @Test func theAlternativeThatAppendedTheRowIsWhatWasRecorded() {
        #expect(AuditRecorded(alternatives, results: results([1, 0])) == AuditRecorded(outcome: "ok", status: 200))
        #expect(AuditRecorded(alternatives, results: results([0, 1])) == AuditRecorded(outcome: "MISSING_DATA", status: 404))
    }

    @Test func nothingIsRecordedWithoutExactlyOneRow() {
        #expect(AuditRecorded(alternatives, results: nil) == nil)  // never committed
        #expect(AuditRecorded(alternatives, results: results([0, 0])) == nil)
        #expect(AuditRecorded(alternatives, results: results([1, 1])) == nil)
        #expect(AuditRecorded(alternatives, results: results([1])) == nil)  // not the alternatives' results
        #expect(AuditRecorded([], results: []) == nil)
    }
}
