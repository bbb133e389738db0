import Copilot
import Middleware
import Postgres
import Testing

/// The audit row a copilot call writes with its own statement: `ok` for the tools that cannot fail once it
/// committed, and for `generate_email` one alternative per outcome, told apart by the same statement's last bind.
@Suite struct AuditAlternativesTests {
    let event = AuditEvent(
        requestID: "r-1", clientID: "copilot-frontend", tenant: TenantID("user_1"), tool: "t", action: "invoke", outcome: "ok", status: 200
    )

    func request() throws -> CopilotRequest {
        try CopilotRequest(body: Array(#"{"customerId": "acme", "params": {"ownerUserId": "user_1"}}"#.utf8))
    }

    @Test func theOtherToolsRecordTheirSuccess() throws {
        let alternatives = CalculateHealth().auditAlternatives(event, request: try request())
        #expect(alternatives.map(\.outcome) == ["ok"])
        #expect(alternatives.map(\.status) == [200])
        #expect(alternatives.first?.statement.1 == event.binds)
    }

    @Test func generateEmailRecordsOkOrMissingDataByWhetherTheCustomerIsKnown() throws {
        let alternatives = GenerateEmail().auditAlternatives(event, request: try request())
        #expect(alternatives.map(\.outcome) == ["ok", "MISSING_DATA"])
        #expect(alternatives.map(\.status) == [200, 404])
        #expect(alternatives.map { $0.statement.1.suffix(2) } == [[.text("acme"), .bool(true)], [.text("acme"), .bool(false)]])
        // Both rows name the same call: only the outcome and the status differ.
        #expect(alternatives.map { Array($0.statement.1.prefix(5)) } == [Array(event.binds.prefix(5)), Array(event.binds.prefix(5))])
    }
}
