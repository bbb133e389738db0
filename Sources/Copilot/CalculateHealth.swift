public import LambdaRuntime
internal import Middleware
internal import Platform
public import Postgres
public import WardenJSON

/// `calculate_health`: a deterministic 0–100 health score from usage trend, open tickets and days to renewal.
public struct CalculateHealth: CopilotTool {
    public static let name = "calculate_health"

    public init() {}

    public func run(_ request: CopilotRequest, session: TenantSession, context: LambdaContext) throws -> JSON {
        let snapshot = try CustomerSnapshot.load(request.customerId, session: session)
        let health = HealthScore(
            trend: snapshot.trend, openTickets: snapshot.openTickets,
            renewalEpochSeconds: snapshot.contract?.renewalEpochSeconds, nowEpochSeconds: Platform.nowMilliseconds() / 1000
        )
        return [
            "score": .int(Int64(health.score)),
            "riskLevel": .string(health.riskLevel),
            "signals": .array(health.signals.map { .string($0) }),
        ]
    }
}
