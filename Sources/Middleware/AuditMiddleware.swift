public import LambdaHTTP
public import Postgres

/// Appends one row to `audit_events` for every call — refused ones included, preflights excepted — once its answer
/// is complete: who (client or principal), for which tenant, what (`invoke`, or the method and path), and how it
/// ended. A row that cannot be written is logged, never shown to the caller.
public final class AuditMiddleware: RequestMiddleware {
    /// What the audit row's action says.
    public enum Action: Sendable {
        /// A fixed action (the copilot tools' `invoke`).
        case fixed(String)
        /// The request's method and path, at most 200 characters (HTTP APIs).
        case methodAndPath
    }

    let database: Database
    let function: String
    let action: Action

    public init(database: Database, function: String, action: Action) {
        self.database = database
        self.function = function
        self.action = action
    }

    public func handle(_ request: HTTPRequest, context: inout RequestContext, next: MiddlewareNext) throws -> HTTPResponse {
        switch action {
        case .fixed(let name): context.action = name
        case .methodAndPath: if context.eventIsValid { context.action = "\(request.method) \(request.path)".prefix(200).description }
        }
        return try next(request, &context)
    }

    public func finish(_ end: RequestEnd, context: RequestContext) {
        guard !context.isPreflight else { return }
        let event = AuditEvent(
            requestID: context.requestID, clientID: context.principal?.auditID ?? context.client?.clientID,
            tenant: context.tenant, tool: function, action: context.action, outcome: end.outcome, status: end.status
        )
        do {
            try database.append(event, deadline: context.deadline.minus(end.auditReserveMilliseconds))
        } catch {
            context.logger.error("audit write failed", metadata: ErrorMetadata.describe(error))
        }
    }
}
