import Testing

@testable import Copilot

private let day: Int64 = 86_400
private let now: Int64 = 1_780_000_000

@Suite struct HealthScoreTests {
    @Test func missingEverythingIsFlatNoTicketsUnknownRenewal() {
        // 50·0.45 + 100·0.35 + 70·0.20 = 71.5 → ties to even → 72.
        let h = HealthScore(trend: "flat", openTickets: 0, renewalEpochSeconds: nil, nowEpochSeconds: now)
        #expect(h.score == 72)
        #expect(h.riskLevel == "medium")
        #expect(h.signals == ["usage_flat", "no_tickets"])
    }

    @Test func tiesRoundToEven() {
        // down, 3 open, near: 0 + 17.5 + 6 = 23.5 → 24 (even); up, 1 open, 100 days: 45 + 28 + 14 = 87.
        let a = HealthScore(trend: "down", openTickets: 3, renewalEpochSeconds: now + 10 * day, nowEpochSeconds: now)
        #expect(a.score == 24)
        #expect(a.riskLevel == "high")
        #expect(a.signals == ["usage_down", "many_tickets", "renewal_near"])
        // flat, 6 open, far: 22.5 + 7 + 20 = 49.5 → 50 (even) → medium.
        let b = HealthScore(trend: "flat", openTickets: 6, renewalEpochSeconds: now + 400 * day, nowEpochSeconds: now)
        #expect(b.score == 50)
        #expect(b.riskLevel == "medium")
        #expect(b.signals == ["usage_flat", "many_tickets", "renewal_far"])
        // down, 0 open, 100 days: 0 + 35 + 14 = 49 → high.
        let c = HealthScore(trend: "down", openTickets: 0, renewalEpochSeconds: now + 100 * day, nowEpochSeconds: now)
        #expect(c.score == 49)
        #expect(c.riskLevel == "high")
        #expect(c.signals == ["usage_down", "no_tickets"])
    }

    @Test func bestCase() {
        let h = HealthScore(trend: "up", openTickets: 0, renewalEpochSeconds: now + 365 * day, nowEpochSeconds: now)
        #expect(h.score == 100)
        #expect(h.signals == ["usage_up", "no_tickets", "renewal_far"])
    }

    /// Each ticket band with trend up (100·0.45 = 45) and an unknown renewal (180 days: 70·0.20 = 14); the expected
    /// scores are worked out by hand, never by the formula under test.
    @Test(arguments: [
        (0, 94, "low", "no_tickets"),                  // ≤ 0 → 100: 45 + 35 + 14 = 94
        (-1, 94, "low", "few_tickets"),                // ≤ 0 → 100 (the signal's band is "exactly 0"): 94
        (Int(Int32.min), 94, "low", "few_tickets"),    // as -1
        (1, 87, "low", "few_tickets"),                 // ≤ 2 → 80: 45 + 28 + 14 = 87
        (2, 87, "low", "few_tickets"),
        (3, 76, "low", "many_tickets"),                // ≤ 5 → 50: 45 + 17.5 + 14 = 76.5 → 76 (ties to even)
        (5, 76, "low", "many_tickets"),
        (6, 66, "medium", "many_tickets"),             // else 20: 45 + 7 + 14 = 66
        (Int(Int32.max), 66, "medium", "many_tickets"),
    ])
    func ticketBands(open: Int, score: Int, risk: String, signal: String) {
        let h = HealthScore(trend: "up", openTickets: open, renewalEpochSeconds: nil, nowEpochSeconds: now)
        #expect(h.score == score)
        #expect(h.riskLevel == risk)
        #expect(h.signals == ["usage_up", signal])
    }

    @Test func renewalBandEdges() {
        func days(_ d: Int64, plusSeconds s: Int64 = 0) -> HealthScore {
            HealthScore(trend: "up", openTickets: 0, renewalEpochSeconds: now + d * day + s, nowEpochSeconds: now)
        }
        #expect(days(181).signals.last == "renewal_far")
        #expect(days(181).score == 100)
        // 180 whole days: not far, score band ≥ 60 → 70.
        #expect(days(180, plusSeconds: 3600).signals == ["usage_up", "no_tickets"])
        #expect(days(180).score == 94)
        #expect(days(60).signals == ["usage_up", "no_tickets"])
        // 59 days and 23 hours floors to 59: near.
        #expect(days(59, plusSeconds: 23 * 3600).signals.last == "renewal_near")
        #expect(days(59).score == 86)
        // Past dates never go below 0 days: near.
        #expect(days(-30).signals.last == "renewal_near")
    }

    @Test func unknownTrendIsFlat() {
        let h = HealthScore(trend: "sideways", openTickets: 0, renewalEpochSeconds: nil, nowEpochSeconds: now)
        #expect(h.signals.first == "usage_flat")
    }

    @Test func wholeDaysFloorsLikePython() {
        #expect(HealthScore.wholeDays(from: 0, to: day - 1) == 0)
        #expect(HealthScore.wholeDays(from: 0, to: day) == 1)
        #expect(HealthScore.wholeDays(from: day, to: 0) == 0)
    }

    @Test func infinitiesSaturate() {
        // infinity: far beyond 180 days → renewal 100; -infinity: in the past → 0 days → 30, near.
        let far = HealthScore(trend: "flat", openTickets: 0, renewalEpochSeconds: .max, nowEpochSeconds: now)
        #expect(far.signals == ["usage_flat", "no_tickets", "renewal_far"])
        #expect(far.score == 78) // 22.5 + 35 + 20 = 77.5 → ties to even → 78
        let past = HealthScore(trend: "flat", openTickets: 0, renewalEpochSeconds: .min, nowEpochSeconds: now)
        #expect(past.signals == ["usage_flat", "no_tickets", "renewal_near"])
        #expect(past.score == 64) // 22.5 + 35 + 6 = 63.5 → ties to even → 64
        #expect(HealthScore.wholeDays(from: .max, to: .min) == 0)
        #expect(HealthScore.wholeDays(from: .min, to: .max) > 1_000_000_000)
    }
}
