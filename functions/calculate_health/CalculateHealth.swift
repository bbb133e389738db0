import Copilot
import LambdaRuntime
import Middleware
import Platform
import Postgres
import WardenJSON

/// `calculate_health`: a deterministic 0–100 health score from usage trend, open tickets and days to renewal.
struct CalculateHealth: CopilotTool {
    static let name = "calculate_health"

    func run(_ request: CopilotRequest, session: TenantSession, context: LambdaContext) throws -> JSON {
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
