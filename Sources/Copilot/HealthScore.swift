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
    ///   - renewalEpochSeconds: the renewal instant (the zone-less column read as UTC), or `nil` when missing;
    ///     `Int64.min` / `Int64.max` stand for `-infinity` / `infinity`.
    ///   - nowEpochSeconds: the current time.
    public init(trend: String, openTickets: Int, renewalEpochSeconds: Int64?, nowEpochSeconds: Int64) {
        let usageScore: Double
        let usageSignal: String
        switch trend {
        case "up": (usageScore, usageSignal) = (100, "usage_up")
        case "down": (usageScore, usageSignal) = (0, "usage_down")
        default: (usageScore, usageSignal) = (50, "usage_flat")
        }

        // The score's bands start at "≤ 0", the signal's at "exactly 0" (CONTRACTS.md §1): a negative count (bad
        // stored data) scores as no tickets but signals `few_tickets`, as the original does.
        let ticketScore: Double = switch openTickets {
        case ...0: 100
        case ...2: 80
        case ...5: 50
        default: 20
        }
        let ticketSignal = switch openTickets {
        case 0: "no_tickets"
        case ...2: "few_tickets"
        default: "many_tickets"
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

    /// Whole days from `now` until `renewal` (floored, as Python's `timedelta.days`), never below 0. Saturates
    /// instead of overflowing (`-infinity` and `infinity` arrive as `Int64.min` and `Int64.max`).
    static func wholeDays(from now: Int64, to renewal: Int64) -> Int64 {
        let (difference, overflow) = renewal.subtractingReportingOverflow(now)
        let delta = overflow ? (renewal < now ? Int64.min + 86_400 : Int64.max) : max(difference, Int64.min + 86_400)
        let days = delta >= 0 ? delta / 86_400 : -((-delta + 86_399) / 86_400)
        return max(0, days)
    }
}
