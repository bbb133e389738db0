public import LambdaHTTP
public import Middleware
public import Postgres

/// The end of a copilot tool's pipeline: runs the tool in a session scoped to the request's tenant, whose first
/// statement carries the guards before it and the audit row after it — one round trip, one transaction — and
/// answers its `data` in the envelope.
public final class CopilotToolResponder<Tool: CopilotTool>: Responder {
    let tool: Tool
    let database: Database

    public init(_ tool: Tool, database: Database) {
        self.tool = tool
        self.database = database
    }

    public func respond(to request: HTTPRequest, context: inout RequestContext) throws -> HTTPResponse {
        let input = try context.input(as: CopilotRequest.self)
        let lambda = context.lambda
        let audit = context.auditEvent(outcome: "ok", status: 200).map { tool.auditPlan($0, request: input) }
        var results: [PGRows]?
        defer { context.auditRecorded = audit.flatMap { AuditRecorded($0, results: results) } }
        let data = try database.withTenant(
            input.tenant, deadline: context.deadline.milliseconds, leading: context.guardStatements,
            trailing: audit.map { [$0.statement] } ?? [], trailingResults: &results
        ) { session in
            try tool.run(input, session: session, context: lambda)
        }
        return .success(data: data, headers: context.responseHeaders)
    }
}
