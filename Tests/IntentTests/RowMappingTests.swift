import Testing
import WardenJSON

@testable import Intent

/// How `IntentRoutes` reads the rows of `IntentSQL` and writes the answer.
@Suite struct RowMappingTests {
    /// A `c` row of `IntentSQL.rankAndRecord`.
    func companyRow(_ id: String?, _ name: String?, domain: String? = nil, churn: String? = "f", job: String? = "f") -> [String?] {
        ["c", id, name, domain, "Software", "51-200", "EMEA", churn, job, nil, nil, nil]
    }

    /// An `e` row of `IntentSQL.rankAndRecord`.
    func evidenceRow(company: String?, _ id: String?, age: String? = "1.5") -> [String?] {
        ["e", company, nil, nil, nil, nil, nil, nil, nil, id, "2026-01-02T03:04:05.678Z", age]
    }

    @Test func readsACompany() throws {
        let company = try #require(IntentRoutes.company(companyRow("42", "Acme", domain: "acme.example", churn: "t"), from: 1))
        #expect(company.id == 42 && company.name == "Acme" && company.domain == "acme.example")
        #expect(company.industry == "Software" && company.sizeBand == "51-200" && company.region == "EMEA")
        #expect(company.churnSignal && !company.jobPosting && company.evidence.isEmpty)
    }

    @Test func aCompanyNeedsAnIdAndAName() {
        #expect(IntentRoutes.company(companyRow(nil, "Acme"), from: 1) == nil)
        #expect(IntentRoutes.company(companyRow("x", "Acme"), from: 1) == nil)
        #expect(IntentRoutes.company(companyRow("42", nil), from: 1) == nil)
        #expect(IntentRoutes.company(["q", "7"], from: 1) == nil)
        // Missing trailing columns read as NULL: no domain, no signals.
        let short = IntentRoutes.company(["c", "7", "Short"], from: 1)
        #expect(short?.id == 7 && short?.domain == nil && short?.churnSignal == false && short?.jobPosting == false)
    }

    @Test func readsEvidenceWithItsScore() throws {
        let item = try #require(IntentRoutes.evidence(evidenceRow(company: "42", "9"), from: 9, bm25: [9: 12.5, 10: 3]))
        #expect(item.id == 9 && item.observedAt == "2026-01-02T03:04:05.678Z" && item.ageDays == 1.5 && item.bm25 == 12.5)
        #expect(IntentRoutes.evidence(evidenceRow(company: "42", "11"), from: 9, bm25: [9: 12.5])?.bm25 == 0)
        #expect(IntentRoutes.evidence(evidenceRow(company: "42", nil), from: 9, bm25: [:]) == nil)
        #expect(IntentRoutes.evidence(evidenceRow(company: "42", "9", age: nil), from: 9, bm25: [:]) == nil)
        #expect(IntentRoutes.evidence(evidenceRow(company: "42", "9", age: "soon"), from: 9, bm25: [:]) == nil)
    }

    @Test func candidatesAreEachCompanyOnceWithItsEvidence() {
        let rows: [[String?]] = [
            ["q", "77", nil, nil, nil, nil, nil, nil, nil, nil, nil, nil],
            companyRow("2", "Beta"),
            companyRow("1", "Alpha"),
            companyRow("2", "Beta again"), // a company can come twice: the first row counts
            evidenceRow(company: "1", "10"),
            evidenceRow(company: "2", "11"),
            evidenceRow(company: "1", "12"),
            evidenceRow(company: "3", "13"), // not among the companies: left out
            evidenceRow(company: "1", nil), // no evidence id: left out
        ]
        let companies = IntentRoutes.candidates(rows, [10: 9, 11: 8.5, 12: 20])
        #expect(companies.map(\.id) == [2, 1])
        #expect(companies.map(\.name) == ["Beta", "Alpha"])
        #expect(companies[0].evidence.map(\.id) == [11] && companies[0].evidence.map(\.bm25) == [8.5])
        #expect(companies[1].evidence.map(\.id) == [10, 12] && companies[1].evidence.map(\.bm25) == [9, 20])
        #expect(IntentRoutes.candidates([], [:]).isEmpty)
    }

    @Test func answersRoundedJSON() {
        let company = IntentModel.Company(
            id: 42, name: "Acme", domain: nil, industry: nil, sizeBand: nil, region: nil, churnSignal: false, jobPosting: false,
            evidence: [])
        let item = IntentModel.Evidence(id: 9, observedAt: "2026-01-02T03:04:05.678Z", ageDays: 10, bm25: 12.345678)
        let result = IntentModel.Result(
            company: company, fit: 100, intent: 63.212055882855765, final: 85.28482235314231,
            evidence: [IntentModel.ScoredEvidence(evidence: item, bm25: 12.345678, weight: 0.894839316814)])
        let expected: JSON = [
            "companyId": 42, "name": "Acme", "domain": nil, "fit": 100.0, "intent": 63.21, "final": 85.28,
            "evidence": [["id": 9, "observedAt": "2026-01-02T03:04:05.678Z", "bm25": 12.35, "weight": 0.89]],
        ]
        let json = IntentRoutes.json(result)
        #expect(json == expected)
        #expect(json.serialized() == expected.serialized()) // member order too
        let withDomain = IntentRoutes.json(
            IntentModel.Result(
                company: IntentModel.Company(
                    id: 1, name: "B", domain: "b.example", industry: nil, sizeBand: nil, region: nil, churnSignal: true,
                    jobPosting: true, evidence: []),
                fit: 0, intent: 35, final: 14, evidence: []))
        #expect(withDomain["domain"] == "b.example" && withDomain["evidence"] == [])
    }
}
