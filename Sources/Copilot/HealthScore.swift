/// The copilot's customer health score (CONTRACTS.md §1, `calculate_health`), as pure arithmetic.
public struct HealthScore: Sendable, Equatable {
    /// 0–100, the weighted sum rounded to the nearest integer, ties to even (as Python's `round`).
    public let score: Int
    /// `low` (≥ 75), `medium` (≥ 50) or `high`.
    public let riskLevel: String
    /// `usage_*`, then `no_tickets` / `few_tickets` / `many_tickets`, then `renewal_near` / `renewal_far` or nothing.
    public let signals: [String]

    /// Days assumed when the renewal date is unknown.
    public static let unknownRenewalDays: Int64 = 180

    /// - Parameters:
    ///   - trend: `up`, `down`, or anything else (treated as flat).
    ///   - openTickets: open ticket count.
    ///   - renewalEpochSeconds: the renewal instant (the zone-less column read as UTC), or `nil` when missing.
    ///   - nowEpochSeconds: the current time.
    public init(trend: String, openTickets: Int, renewalEpochSeconds: Int64?, nowEpochSeconds: Int64) {
        let usageScore: Double
        let usageSignal: String
        switch trend {
        case "up": (usageScore, usageSignal) = (100, "usage_up")
        case "down": (usageScore, usageSignal) = (0, "usage_down")
        default: (usageScore, usageSignal) = (50, "usage_flat")
        }

        let ticketScore: Double
        let ticketSignal: String
        switch openTickets {
        case ...0: (ticketScore, ticketSignal) = (100, "no_tickets")
        case ...2: (ticketScore, ticketSignal) = (80, "few_tickets")
        case ...5: (ticketScore, ticketSignal) = (50, "many_tickets")
        default: (ticketScore, ticketSignal) = (20, "many_tickets")
        }

        let days = renewalEpochSeconds.map { Self.wholeDays(from: nowEpochSeconds, to: $0) } ?? Self.unknownRenewalDays
        let renewalScore: Double = days > 180 ? 100 : days >= 60 ? 70 : 30

        let weighted = usageScore * 0.45 + ticketScore * 0.35 + renewalScore * 0.20
        score = Int(weighted.rounded(.toNearestOrEven))
        riskLevel = score >= 75 ? "low" : score >= 50 ? "medium" : "high"

        var signals = [usageSignal, ticketSignal]
        if days < 60 {
            signals.append("renewal_near")
        } else if days > 180 {
            signals.append("renewal_far")
        }
        self.signals = signals
    }

    /// Whole days from `now` until `renewal` (floored, as Python's `timedelta.days`), never below 0.
    static func wholeDays(from now: Int64, to renewal: Int64) -> Int64 {
        let delta = renewal - now
        let days = delta >= 0 ? delta / 86_400 : -((-delta + 86_399) / 86_400)
        return max(0, days)
    }
}
