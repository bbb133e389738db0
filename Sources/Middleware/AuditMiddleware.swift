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

/// How a request's audit row is written together with the request's own statements: `statement` appends exactly one
/// row. With one outcome, the row records it (a plain append). With several — the outcomes the request can still end
/// with once its statements committed — the statement decides in SQL which one the row records and returns one row
/// whose one column is that outcome's position in `outcomes`.
public struct AuditPlan {
    public var outcomes: [AuditRecorded]
    public var statement: (SQL, [PGValue])

    public init(outcomes: [AuditRecorded], statement: (SQL, [PGValue])) {
        self.outcomes = outcomes
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

    /// The outcome `plan`'s statement recorded, given its results (`nil`: it never committed, or its results are not
    /// one appended row, or the position it returned is not one of the plan's outcomes).
    public init?(_ plan: AuditPlan, results: [PGRows]?) {
        guard let results, results.count == 1, let result = results.first else { return nil }
        if plan.outcomes.count == 1 {
            guard result.affectedRows == 1, let only = plan.outcomes.first else { return nil }
            self = only
            return
        }
        guard result.rows.count == 1, let row = result.rows.first, row.count == 1,
              let position = row[0].flatMap({ Int($0) }), plan.outcomes.indices.contains(position)
        else { return nil }
        self = plan.outcomes[position]
    }
}
