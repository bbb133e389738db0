import Testing

@testable import Intent

/// Expected values computed independently (Python, the formulas of `IntentModel`'s documentation).
@Suite struct IntentModelTests {
    func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool { abs(a - b) <= tolerance }

    func company(
        _ id: Int64, industry: String? = nil, size: String? = nil, region: String? = nil, churn: Bool = false, job: Bool = false,
        evidence: [IntentModel.Evidence] = []
    ) -> IntentModel.Company {
        IntentModel.Company(
            id: id, name: "Company \(id)", domain: nil, industry: industry, sizeBand: size, region: region, churnSignal: churn,
            jobPosting: job, evidence: evidence)
    }

    func evidence(_ id: Int64, bm25: Double, age: Double = 0) -> IntentModel.Evidence {
        IntentModel.Evidence(id: id, observedAt: "2026-01-01T00:00:00.000Z", ageDays: age, bm25: bm25)
    }

    let noFilters = IntentModel.Filters(industry: nil, size: nil, region: nil)

    @Test func weightDecaysWithAge() {
        #expect(IntentModel.weight(ageDays: 0) == 1)
        #expect(close(IntentModel.weight(ageDays: 90), 0.36787944117144233))
        #expect(IntentModel.weight(ageDays: -30) == 1) // dated in the future: new
        #expect(IntentModel.weight(ageDays: 10) > IntentModel.weight(ageDays: 11))
    }

    @Test func intentSaturatesAndCaps() {
        func scored(_ bm25: Double, age: Double = 0) -> IntentModel.ScoredEvidence {
            IntentModel.ScoredEvidence(evidence: evidence(1, bm25: bm25, age: age), bm25: bm25, weight: IntentModel.weight(ageDays: age))
        }
        #expect(IntentModel.intent([], churnSignal: false, jobPosting: false) == 0)
        #expect(IntentModel.intent([], churnSignal: true, jobPosting: false) == 20)
        #expect(IntentModel.intent([], churnSignal: false, jobPosting: true) == 15)
        #expect(IntentModel.intent([], churnSignal: true, jobPosting: true) == 35)
        // 100 × (1 − e^−1) for a sum of 10.
        #expect(close(IntentModel.intent([scored(10)], churnSignal: false, jobPosting: false), 63.212055882855765))
        // 12 + 8 + 20 × e^−1.
        #expect(close(IntentModel.intent([scored(12), scored(8), scored(20, age: 90)], churnSignal: false, jobPosting: false), 93.51552211306993))
        // Signals on top of strong evidence: capped at 100.
        #expect(IntentModel.intent([scored(1000)], churnSignal: true, jobPosting: true) == 100)
        #expect(IntentModel.intent([scored(30)], churnSignal: false, jobPosting: true) == 100)
    }

    @Test func fitWeighsTheThreeCriteria() {
        let filters = IntentModel.Filters(industry: "Software", size: "51-200", region: "EMEA")
        #expect(IntentModel.fit(company(1, industry: "software", size: "51-200", region: "emea"), filters) == 100)
        #expect(IntentModel.fit(company(1, industry: "Software", size: "51-200", region: "APAC"), filters) == 70)
        #expect(IntentModel.fit(company(1, industry: "Software", size: "1-10", region: "EMEA"), filters) == 70)
        #expect(IntentModel.fit(company(1, industry: "Retail", size: "51-200", region: "EMEA"), filters) == 60)
        #expect(IntentModel.fit(company(1, industry: "Software"), filters) == 40) // no size or region: no match
        #expect(IntentModel.fit(company(1, region: "EMEA"), filters) == 30)
        #expect(IntentModel.fit(company(1), filters) == 0)
        // An absent filter always matches, even a missing value.
        #expect(IntentModel.fit(company(1), noFilters) == 100)
        #expect(IntentModel.fit(company(1, industry: "Retail"), IntentModel.Filters(industry: nil, size: "1-10", region: nil)) == 70)
    }

    @Test func matchingIgnoresCaseOnly() {
        #expect(IntentModel.matches("Software", "SOFTWARE"))
        #expect(IntentModel.matches("ÉNERGIE", "énergie"))
        #expect(IntentModel.matches("CAF\u{C9}", "cafe\u{301}")) // canonical equivalence
        #expect(!IntentModel.matches("Software", "Software "))
        #expect(!IntentModel.matches("Zürich", "Zurich"))
        #expect(!IntentModel.matches("small", "ｓｍａｌｌ"))
    }

    @Test func ranksByFinalThenIntentThenId() {
        let filters = IntentModel.Filters(industry: "Software", size: "51-200", region: "EMEA")
        let ranked = IntentModel.rank(
            [
                company(9, churn: true, job: true), // fit 0, intent 35: final 14
                company(1, industry: "Software"), // fit 40, intent 0: final 24
                company(2, region: "emea", job: true), // fit 30, intent 15: final 24, more intent than 1
                company(5, industry: "software", size: "51-200", region: "EMEA"), // fit 100: final 60
                company(4, industry: "SOFTWARE", size: "51-200", region: "emea"), // the same as 5: the lower id first
            ], filters: filters)
        #expect(ranked.map(\.company.id) == [4, 5, 2, 1, 9])
        #expect(ranked.map(\.final) == [60, 60, 24, 24, 14])
        #expect(ranked.map(\.fit) == [100, 100, 30, 40, 0])
        #expect(ranked.map(\.intent) == [0, 0, 15, 0, 35])
    }

    @Test func evidenceCountsFromTheThresholdStrongestFirst() {
        let ranked = IntentModel.rank(
            [
                company(
                    1,
                    evidence: [
                        evidence(10, bm25: 20, age: 90), // 20 × e^−1 ≈ 7.36
                        evidence(11, bm25: 7.999), // below the threshold
                        evidence(12, bm25: 12),
                        evidence(13, bm25: 8), // exactly the threshold: counts
                        evidence(14, bm25: 8), // ties with 13: the lower id first
                    ])
            ], filters: noFilters)
        let result = ranked[0]
        #expect(result.evidence.map(\.evidence.id) == [12, 13, 14, 10])
        #expect(close(result.evidence[3].weight, 0.36787944117144233))
        #expect(result.evidence[0].weight == 1 && result.evidence[0].bm25 == 12)
        // 12 + 8 + 8 + 20 e^−1 ≈ 35.36: 100 × (1 − e^−3.536).
        #expect(close(result.intent, 97.08633626822468))
        #expect(close(result.final, 0.6 * 100 + 0.4 * 97.08633626822468))
    }

    @Test func evidenceRaisesACompanyAboveOthers() {
        let ranked = IntentModel.rank(
            [company(1), company(2, evidence: [evidence(5, bm25: 9, age: 400)]), company(3, evidence: [evidence(6, bm25: 7)])],
            filters: noFilters)
        #expect(ranked.map(\.company.id) == [2, 1, 3])
        #expect(ranked[1].evidence.isEmpty && ranked[2].evidence.isEmpty && ranked[2].intent == 0)
    }

    @Test func emptyCorpusRanksNothing() {
        #expect(IntentModel.rank([], filters: noFilters).isEmpty)
    }

    @Test func roundsToTwoDecimalsHalfAwayFromZero() {
        #expect(IntentModel.rounded(0.125) == 0.13)
        #expect(IntentModel.rounded(-0.125) == -0.13)
        #expect(IntentModel.rounded(63.212055882855765) == 63.21)
        #expect(IntentModel.rounded(99.999) == 100)
        #expect(IntentModel.rounded(0) == 0)
    }
}
