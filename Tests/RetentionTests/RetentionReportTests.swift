import Testing

@testable import Retention

/// What a run reports: counts only, in the reply, the audit row and the log line.
@Suite struct RetentionReportTests {
    static let clock = ScheduleClock(milliseconds: 1_795_402_800_000)

    @Test func theCategoriesInTheOrderTheSweepRuns() {
        // Evidence before companies: a company is deleted only once none of its evidence is left. The names are the
        // SQL function's (migration 10).
        #expect(RetentionCategory.allCases.map(\.rawValue) == ["queries", "evidence", "companies", "participants", "idempotency"])
    }

    @Test func anEmptyRun() {
        let report = RetentionReport(clock: Self.clock, batchSize: 500)
        #expect(report.batches == 0 && !report.complete)
        for category in RetentionCategory.allCases { #expect(report[category] == 0) }
        let expected = #"""
            {"ok":true,"data":{"now":"2026-11-23T03:00:00.000Z","batchSize":500,"batches":0,"complete":false,\#
            "deleted":{"queries":0,"evidence":0,"companies":0,"idempotency":0},"anonymized":{"participants":0}},"error":null}
            """#
        #expect(String(decoding: report.json, as: UTF8.self) == expected)
        #expect(
            report.auditAction
                == "sweep now=2026-11-23T03:00:00.000Z batch=500 batches=0 queries=0 evidence=0 companies=0 participants=0 idempotency=0 complete=false"
        )
    }

    @Test func batchesAddUpPerCategory() {
        var report = RetentionReport(clock: Self.clock, batchSize: 2)
        report.record(.queries, rows: 2)
        report.record(.queries, rows: 1)
        report.record(.evidence, rows: 0)  // an empty batch is not counted
        report.record(.participants, rows: 2)
        report.record(.idempotency, rows: 1)
        report.complete = true
        #expect(report.batches == 4)
        #expect(report[.queries] == 3 && report[.evidence] == 0 && report[.companies] == 0 && report[.participants] == 2 && report[.idempotency] == 1)
        let expected = #"""
            {"ok":true,"data":{"now":"2026-11-23T03:00:00.000Z","batchSize":2,"batches":4,"complete":true,\#
            "deleted":{"queries":3,"evidence":0,"companies":0,"idempotency":1},"anonymized":{"participants":2}},"error":null}
            """#
        #expect(String(decoding: report.json, as: UTF8.self) == expected)
        #expect(
            report.auditAction
                == "sweep now=2026-11-23T03:00:00.000Z batch=2 batches=4 queries=3 evidence=0 companies=0 participants=2 idempotency=1 complete=true"
        )
    }

    @Test func negativeCountsAreNotRecorded() {
        var report = RetentionReport(clock: Self.clock, batchSize: 10)
        report.record(.companies, rows: -1)
        #expect(report.batches == 0 && report[.companies] == 0)
    }
}
