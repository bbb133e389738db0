public import LambdaRuntime
internal import Middleware
public import Postgres
public import WardenJSON

/// `get_customer_usage`: the usage trend, average daily users and sparkline.
public struct GetCustomerUsage: CopilotTool {
    public static let name = "get_customer_usage"

    public init() {}

    public func run(_ request: CopilotRequest, session: TenantSession, context: LambdaContext) throws -> JSON {
        let usage = try CustomerSnapshot.load(request.customerId, session: session).usage
        return [
            "trend": .string(usage?.trend ?? "flat"),
            "avgDailyUsers": .int(Int64(usage?.avgDailyUsers ?? 0)),
            "sparkline": .array((usage?.sparkline ?? []).map { JSON.double($0) }),
            "missingData": .bool(usage == nil),
        ]
    }
}
