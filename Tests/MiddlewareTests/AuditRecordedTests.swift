import Testing

@testable import Middleware
@testable import Postgres

/// Which audit row committed with a request's own statements: the plan's one outcome when its statement appended a
/// row, or the outcome whose position the statement returned.
@Suite struct AuditRecordedTests {
    let ok = AuditRecorded(outcome: "ok", status: 200)
    let missing = AuditRecorded(outcome: "MISSING_DATA", status: 404)

    func appended(_ affected: Int) -> [PGRows] { [PGRows(columns: [], rows: [], affectedRows: affected)] }
    func chosen(_ values: [String?]...) -> [PGRows] { [PGRows(columns: ["case"], rows: values, affectedRows: values.count)] }

    @Test func aPlainAppendRecordsThePlansOneOutcome() {
        let plan = AuditPlan(outcomes: [ok], statement: (SQL("SELECT 1"), []))
        #expect(AuditRecorded(plan, results: appended(1)) == ok)
        #expect(AuditRecorded(plan, results: appended(0)) == nil)
        #expect(AuditRecorded(plan, results: nil) == nil)  // never committed
    }

    @Test func aChoosingStatementRecordsTheOutcomeAtThePositionItReturned() {
        let plan = AuditPlan(outcomes: [ok, missing], statement: (SQL("SELECT 1"), []))
        #expect(AuditRecorded(plan, results: chosen(["0"])) == ok)
        #expect(AuditRecorded(plan, results: chosen(["1"])) == missing)
    }

    @Test func nothingIsRecordedWithoutExactlyOneKnownChoice() {
        let plan = AuditPlan(outcomes: [ok, missing], statement: (SQL("SELECT 1"), []))
        #expect(AuditRecorded(plan, results: nil) == nil)  // never committed
        #expect(AuditRecorded(plan, results: chosen()) == nil)
        #expect(AuditRecorded(plan, results: chosen(["0"], ["1"])) == nil)
        #expect(AuditRecorded(plan, results: chosen(["2"])) == nil)
        #expect(AuditRecorded(plan, results: chosen([nil])) == nil)
        #expect(AuditRecorded(plan, results: chosen(["0"]) + chosen(["1"])) == nil)  // not the plan's one result
        #expect(AuditRecorded(AuditPlan(outcomes: [], statement: (SQL("SELECT 1"), [])), results: appended(1)) == nil)
    }
}
