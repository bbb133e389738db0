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
        _ = try run(
            [(Self.appendAudit, [
                .text(event.requestID), event.clientID.map { .text($0) } ?? .null,
                event.tenant.map { .text($0.rawValue) } ?? .null, .text(event.tool), .text(event.action),
                .text(event.outcome), .int(Int64(event.status)),
            ])],
            deadline: deadline
        )
    }
}
