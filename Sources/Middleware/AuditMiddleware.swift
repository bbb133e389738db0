public import LambdaHTTP
public import Postgres

/// Appends one row to `audit_events` for every call — refused ones included, preflights excepted — once its answer
/// is complete: who (client or principal), for which tenant, what (`invoke`, or the method and path), and how it
/// ended. A row that cannot be written is logged, never shown to the caller.
///
/// A responder may write the row itself, as one more statement of the request's own transaction (no round trip of
/// its own; `RequestContext.auditEvent(outcome:status:)`, `Database.withTenant(…trailing:…)`), and say what it
/// recorded in `RequestContext.auditRecorded`: no second row is written when the request ended that way; when it
/// ended otherwise (a failure after the commit), a second row with the same request id records the real end.
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
        context.auditTool = function
        switch action {
        case .fixed(let name): context.action = name
        case .methodAndPath: if context.eventIsValid { context.action = "\(request.method) \(request.path)".prefix(200).description }
        }
        return try next(request, &context)
    }

    public func finish(_ end: RequestEnd, context: RequestContext) {
        guard !context.isPreflight, let event = context.auditEvent(outcome: end.outcome, status: end.status) else { return }
        if let recorded = context.auditRecorded {
            if recorded.outcome == end.outcome && recorded.status == end.status { return }
            context.logger.warning("audit row corrected", metadata: ["audit.recorded": "\(recorded.outcome)"])
        }
        do {
            try database.append(event, deadline: context.deadline.minus(end.auditReserveMilliseconds))
        } catch {
            context.logger.error("audit write failed", metadata: ErrorMetadata.describe(error))
        }
    }
}

/// One way a request's audit row is written together with the request's own statements: `statement` appends the row
/// (one affected row) exactly when the request will end with `outcome` and `status`, and appends nothing otherwise.
public struct AuditAlternative {
    public var outcome: String
    public var status: Int
    public var statement: (SQL, [PGValue])

    public init(outcome: String, status: Int, statement: (SQL, [PGValue])) {
        self.outcome = outcome
        self.status = status
        self.statement = statement
    }
}

/// What an audit row written with the request's own statements recorded (`RequestContext.auditRecorded`).
public struct AuditRecorded: Sendable, Equatable {
    public var outcome: String
    public var status: Int

    public init(outcome: String, status: Int) {
        self.outcome = outcome
        self.status = status
    }

    /// The alternative whose statement appended the row, given the statements' results (`nil`: they never
    /// committed, or none of them — or more than one — appended a row).
    public init?(_ alternatives: [AuditAlternative], results: [PGRows]?) {
        guard let results, results.count == alternatives.count else { return nil }
        let written = zip(alternatives, results).filter { $0.1.affectedRows == 1 }
        guard written.count == 1, let chosen = written.first?.0 else { return nil }
        self.init(outcome: chosen.outcome, status: chosen.status)
    }
}
