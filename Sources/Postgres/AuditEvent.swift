/// One row of the append-only `audit_events` table: who called what, for which tenant, and how it ended.
/// It never holds personal data or secrets: identifiers, a tool name, an action and an outcome only.
public struct AuditEvent: Sendable, Equatable {
    /// The Lambda request id.
    public var requestID: String
    /// The authenticated client id, or `nil` when the call was refused before authentication succeeded.
    public var clientID: String?
    /// The tenant, or `nil` when the call was refused before a tenant was established.
    public var tenant: TenantID?
    /// The tool (function) name.
    public var tool: String
    /// What was attempted, e.g. `invoke`.
    public var action: String
    /// `ok` or the envelope error code.
    public var outcome: String
    /// The HTTP status answered.
    public var status: Int

    public init(requestID: String, clientID: String?, tenant: TenantID?, tool: String, action: String, outcome: String, status: Int) {
        self.requestID = requestID
        self.clientID = clientID
        self.tenant = tenant
        self.tool = tool
        self.action = action
        self.outcome = outcome
        self.status = status
    }
}

extension Database {
    static let appendAudit = SQL(
        """
        INSERT INTO audit_events (request_id, client_id, tenant, tool, action, outcome, status)
        VALUES ($1, $2, $3, $4, $5, $6, $7::int)
        """
    )

    /// Appends `event` to `audit_events` (the functions' role may only insert there).
    public func append(_ event: AuditEvent, deadline: Int64? = nil) throws(PostgresError) {
        _ = try run([event.appendStatement], deadline: deadline)
    }
}

extension AuditEvent {
    /// The row as one statement of a batch (`Database.withTenant(…trailing:…)`): `$1`…`$7` are the request id,
    /// client, tenant, tool, action, outcome and status.
    public var appendStatement: (SQL, [PGValue]) { (Database.appendAudit, binds) }

    /// The row's values as `$1`…`$7` (request id, client, tenant, tool, action, outcome, status) of a statement
    /// that appends it.
    public var binds: [PGValue] {
        [
            .text(requestID), clientID.map { .text($0) } ?? .null, tenant.map { .text($0.rawValue) } ?? .null,
            .text(tool), .text(action), .text(outcome), .int(Int64(status)),
        ]
    }
}
