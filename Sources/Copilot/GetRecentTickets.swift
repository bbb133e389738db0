public import LambdaRuntime
internal import Middleware
public import Postgres
public import WardenJSON

/// `get_recent_tickets`: the open ticket count and the recent tickets' ids and severities.
public struct GetRecentTickets: CopilotTool {
    public static let name = "get_recent_tickets"

    public init() {}

    public func run(_ request: CopilotRequest, session: TenantSession, context: LambdaContext) throws -> JSON {
        let tickets = try CustomerSnapshot.load(request.customerId, session: session).tickets
        return [
            "openTickets": .int(Int64(tickets?.openTickets ?? 0)),
            "recentTickets": .array((tickets?.recent ?? []).map { ["id": .string($0.id), "severity": .string($0.severity)] }),
            "missingData": .bool(tickets == nil),
        ]
    }
}
