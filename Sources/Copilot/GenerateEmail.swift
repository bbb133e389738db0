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
    /// named company, usage, tickets or contract row), read in the same transaction as the tool's snapshot: one
    /// statement looks the customer up once and appends the row for the outcome it found.
    public func auditPlan(_ event: AuditEvent, request: CopilotRequest) -> AuditPlan {
        let missing = ErrorCode.missingData
        return AuditPlan(
            outcomes: [AuditRecorded(outcome: event.outcome, status: event.status), AuditRecorded(outcome: missing.rawValue, status: missing.status)],
            statement: (Self.audit, event.binds + [.text(request.customerId), .text(missing.rawValue), .int(Int64(missing.status))])
        )
    }

    /// `$1`…`$7` the row as for a known customer, `$8` the customer, `$9` and `$10` the outcome and status for an
    /// unknown one. Returns the recorded outcome's position in `auditPlan`'s outcomes: 0 known, 1 unknown. (The
    /// functions' role may only insert into `audit_events`: the choice comes back from `k`, not `RETURNING`.)
    static let audit = SQL(
        """
        WITH k AS (
            SELECT EXISTS (SELECT 1 FROM companies WHERE owner_user_id = $3 AND external_id = $8 AND name IS NOT NULL)
                OR EXISTS (SELECT 1 FROM usage_summaries WHERE owner_user_id = $3 AND company_external_id = $8)
                OR EXISTS (SELECT 1 FROM ticket_summaries WHERE owner_user_id = $3 AND company_external_id = $8)
                OR EXISTS (SELECT 1 FROM contracts WHERE owner_user_id = $3 AND company_external_id = $8) AS known
        ), appended AS (
            INSERT INTO audit_events (request_id, client_id, tenant, tool, action, outcome, status)
            SELECT $1::text, $2::text, $3::text, $4::text, $5::text,
                   CASE WHEN known THEN $6::text ELSE $9::text END, CASE WHEN known THEN $7::int ELSE $10::int END
            FROM k
        )
        SELECT CASE WHEN known THEN 0 ELSE 1 END FROM k
        """
    )
}
