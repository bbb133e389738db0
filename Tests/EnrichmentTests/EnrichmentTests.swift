import Testing

@testable import Enrichment

/// The provider's answers are validated before anything reaches the database; settings fall back to the document's
/// limits.
@Suite struct ProviderAnswerTests {
    func parse(_ text: String) -> ProviderOutcome { EnrichmentProvider.parse(Array(text.utf8)) }

    @Test func aMatchWithNameAndConfidence() {
        #expect(parse(#"{"found":true,"displayName":"Ada Lovelace","confidence":0.87}"#) == .enriched(displayName: "Ada Lovelace", confidence: 0.87))
        #expect(parse(#"{"found":true,"confidence":1}"#) == .enriched(displayName: nil, confidence: 1))
        #expect(parse(#"{"found":true,"displayName":null,"confidence":0}"#) == .enriched(displayName: nil, confidence: 0))
    }

    @Test func noMatch() {
        #expect(parse(#"{"found":false}"#) == .unknown)
    }

    @Test(arguments: [
        "", "null", "[]", "not json", #"{"found":"yes"}"#, #"{"confidence":0.5}"#, #"{"found":true}"#,
        #"{"found":true,"confidence":1.5}"#, #"{"found":true,"confidence":-0.1}"#, #"{"found":true,"confidence":"0.5"}"#,
        #"{"found":true,"confidence":0.5,"displayName":42}"#, #"{"found":true,"confidence":0.5,"displayName":""}"#,
        #"{"found":true,"confidence":0.5,"displayName":"a\nb"}"#, #"{"found":true,"confidence":0.5,"displayName":"<script>"}"#,
        #"{"found":true,"found":false}"#,
    ])
    func invalidAnswersAreFailedAttempts(_ body: String) {
        #expect(parse(body) == .failed(reason: "invalid answer"))
    }

    @Test func overlongNamesAreRefused() {
        let name = String(repeating: "a", count: EnrichmentProvider.maxDisplayNameBytes + 1)
        #expect(parse(#"{"found":true,"confidence":0.5,"displayName":"\#(name)"}"#) == .failed(reason: "invalid answer"))
    }

    @Test func recordedOutcomesCarryNoPersonalData() {
        #expect(ProviderOutcome.enriched(displayName: "Ada", confidence: 0.5).recorded == "enriched")
        #expect(ProviderOutcome.failed(reason: "timeout").recorded == "failed: timeout")
    }
}

@Suite struct SettingsTests {
    @Test func defaultsAreTheDocumentsLimits() {
        let s = EnrichmentSettings.fromEnvironment { _ in nil }
        #expect(s.baseURL == nil)
        #expect(s.dailyBudgetCents == 5000 && s.monthlyBudgetCents == 100_000)
        #expect(s.maxBatch == 50 && s.maxRunningJobs == 5 && s.maxAttempts == 4 && s.retryBaseMilliseconds == 5000)
    }

    @Test func environmentOverridesWithinRange() {
        let env = [
            "ENRICHMENT_URL": "https://provider.example/", "ENRICHMENT_DAILY_BUDGET_CENTS": "50", "ENRICHMENT_MAX_JOBS": "0",
            "ENRICHMENT_TIMEOUT_MS": "nonsense", "ENRICHMENT_COST_CENTS": "25",
        ]
        let s = EnrichmentSettings.fromEnvironment { env[$0] }
        #expect(s.baseURL == "https://provider.example")
        #expect(s.dailyBudgetCents == 50 && s.costCents == 25)
        #expect(s.maxRunningJobs == 5)  // 0 is out of range
        #expect(s.timeoutMilliseconds == 5000)
    }
}
