import Copilot
import Middleware
import Postgres
import Testing

/// The audit row a copilot call writes with its own statement: `ok` for the tools that cannot fail once it
/// committed, and for `generate_email` one statement choosing between `ok` and `MISSING_DATA`.
@Suite struct AuditPlanTests {
    let event = AuditEvent(
        requestID: "r-1", clientID: "copilot-frontend", tenant: TenantID("user_1"), tool: "t", action: "invoke", outcome: "ok", status: 200
    )

    func request() throws -> CopilotRequest {
        try CopilotRequest(body: Array(#"{"customerId": "acme", "params": {"ownerUserId": "user_1"}}"#.utf8))
    }

    @Test func theOtherToolsRecordTheirSuccess() throws {
        let plan = CalculateHealth().auditPlan(event, request: try request())
        #expect(plan.outcomes == [AuditRecorded(outcome: "ok", status: 200)])
        #expect(plan.statement.1 == event.binds)
    }

    @Test func generateEmailRecordsOkOrMissingDataByWhetherTheCustomerIsKnown() throws {
        let plan = GenerateEmail().auditPlan(event, request: try request())
        #expect(plan.outcomes == [AuditRecorded(outcome: "ok", status: 200), AuditRecorded(outcome: "MISSING_DATA", status: 404)])
        // The row as for a known customer, then the customer and the unknown customer's outcome and status.
        #expect(Array(plan.statement.1.prefix(7)) == event.binds)
        #expect(Array(plan.statement.1.dropFirst(7)) == [.text("acme"), .text("MISSING_DATA"), .int(404)])
    }
}
