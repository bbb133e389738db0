import LambdaRuntime
import Middleware
import Platform
import Copilot
import Postgres
import WardenJSON

/// `calculate_health`: a deterministic 0–100 health score from usage trend, open tickets and days to renewal.
struct CalculateHealth: CopilotTool {
    static let name = "calculate_health"

    /// The three inputs, in one round trip. `$1` is the tenant, `$2` the customer.
    static let inputs = SQL(
        """
        SELECT u.trend, t.open_tickets,
               floor(extract(epoch FROM c.renewal_date))::bigint AS renewal_epoch
        FROM (SELECT $1::text AS owner, $2::text AS customer) k
        LEFT JOIN usage_summaries u ON u.owner_user_id = k.owner AND u.company_external_id = k.customer
        LEFT JOIN ticket_summaries t ON t.owner_user_id = k.owner AND t.company_external_id = k.customer
        LEFT JOIN contracts c ON c.owner_user_id = k.owner AND c.company_external_id = k.customer
        """
    )

    func run(_ request: CopilotRequest, session: TenantSession, context: LambdaContext) throws -> JSON {
        let row = try session.query(Self.inputs, [.text(request.customerId)]).first ?? [nil, nil, nil]
        let trend = row[0] ?? "flat"
        let openTickets = row[1].flatMap { Int($0) } ?? 0
        let renewalEpoch = row[2].flatMap { Int64($0) }
        let health = HealthScore(trend: trend, openTickets: openTickets, renewalEpochSeconds: renewalEpoch,
                                 nowEpochSeconds: Platform.nowMilliseconds() / 1000)
        return [
            "score": .int(Int64(health.score)),
            "riskLevel": .string(health.riskLevel),
            "signals": .array(health.signals.map { .string($0) }),
        ]
    }
}
