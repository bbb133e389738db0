public import LambdaRuntime
public import Middleware
public import Postgres
public import WardenJSON

/// `generate_email`: a check-in e-mail from the customer's data; `MISSING_DATA` when nothing is known.
public struct GenerateEmail: CopilotTool {
    public static let name = "generate_email"

    public init() {}

    public func run(_ request: CopilotRequest, session: TenantSession, context: LambdaContext) throws -> JSON {
        let snapshot = try CustomerSnapshot.load(request.customerId, session: session)
        guard !snapshot.isUnknown else { throw EnvelopeError(.missingData, "No data is available for this customer.") }
        let email = EmailDraft(snapshot: snapshot, customerId: request.customerId)
        return ["subject": .string(email.subject), "body": .string(email.body)]
    }

    /// The audit row records `MISSING_DATA` (404) when the customer is unknown (`CustomerSnapshot.isUnknown`: no
    /// named company, usage, tickets or contract row), read in the same transaction as the tool's snapshot.
    public func auditAlternatives(_ event: AuditEvent, request: CopilotRequest) -> [AuditAlternative] {
        var missing = event
        missing.outcome = ErrorCode.missingData.rawValue
        missing.status = ErrorCode.missingData.status
        return [(event, true), (missing, false)].map { event, known in
            AuditAlternative(
                outcome: event.outcome, status: event.status,
                statement: (Self.audit, event.binds + [.text(request.customerId), .bool(known)])
            )
        }
    }

    /// `$1`…`$7` the row, `$8` the customer, `$9` whether the row is for a known customer.
    static let audit = SQL(
        """
        INSERT INTO audit_events (request_id, client_id, tenant, tool, action, outcome, status)
        SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::int
        WHERE (EXISTS (SELECT 1 FROM companies WHERE owner_user_id = $3 AND external_id = $8 AND name IS NOT NULL)
            OR EXISTS (SELECT 1 FROM usage_summaries WHERE owner_user_id = $3 AND company_external_id = $8)
            OR EXISTS (SELECT 1 FROM ticket_summaries WHERE owner_user_id = $3 AND company_external_id = $8)
            OR EXISTS (SELECT 1 FROM contracts WHERE owner_user_id = $3 AND company_external_id = $8)) = $9::bool
        """
    )
}
