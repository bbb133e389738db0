import Middleware
import Testing

@testable import Enrichment

/// The provider's answers are validated before anything reaches the database; settings default to the document's
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
    @Test func defaultsAreTheDocumentsLimits() throws {
        let s = try EnrichmentSettings.fromEnvironment { _ in nil }
        #expect(s == .defaults)
        #expect(s.baseURL == nil)
        #expect(s.dailyBudgetCents == 5000 && s.monthlyBudgetCents == 100_000)
        #expect(s.maxBatch == 50 && s.maxRunningJobs == 5 && s.maxAttempts == 4 && s.retryBaseMilliseconds == 5000)
    }

    @Test func environmentOverridesWithinRange() throws {
        let env = [
            "ENRICHMENT_URL": "https://provider.example/", "ENRICHMENT_DAILY_BUDGET_CENTS": "50", "ENRICHMENT_MAX_JOBS": "",
            "ENRICHMENT_COST_CENTS": "25", "ENRICHMENT_PROVIDER_NAME": "pdl",
        ]
        let s = try EnrichmentSettings.fromEnvironment { env[$0] }
        #expect(s.baseURL == "https://provider.example")
        #expect(s.dailyBudgetCents == 50 && s.costCents == 25 && s.providerName == "pdl")
        #expect(s.maxRunningJobs == 5)  // empty: the default
    }

    @Test func aLoopbackProviderMayUsePlainHTTP() throws {
        for url in ["http://127.0.0.1:8080", "http://127.0.0.1/v1/", "http://[::1]:9"] {
            #expect(try EnrichmentSettings.fromEnvironment { $0 == "ENRICHMENT_URL" ? url : nil }.baseURL != nil, "\(url)")
        }
    }

    /// Every invalid value fails the initialization, naming the setting (never its value): no budget, limit or
    /// provider silently becomes the default.
    @Test(arguments: [
        ("ENRICHMENT_MAX_JOBS", "0", "must be a whole number from 1 to 100"),
        ("ENRICHMENT_TIMEOUT_MS", "nonsense", "must be a whole number from 100 to 60000"),
        ("ENRICHMENT_DAILY_BUDGET_CENTS", "-1", "must be a whole number from 0 to 100000000"),
        ("ENRICHMENT_MONTHLY_BUDGET_CENTS", " 5", "must be a whole number from 0 to 1000000000"),
        ("ENRICHMENT_COST_CENTS", "+5", "must be a whole number from 0 to 100000"),
        ("ENRICHMENT_MAX_ATTEMPTS", "11", "must be a whole number from 1 to 10"),
        ("ENRICHMENT_RETRY_BASE_MS", "5s", "must be a whole number from 0 to 3600000"),
        ("ENRICHMENT_PROVIDER_NAME", String(repeating: "p", count: 65), "must be text of at most 64 bytes"),
        ("ENRICHMENT_URL", "http://provider.example", "must be an https:// URL (http:// only to 127.0.0.1 or [::1])"),
        ("ENRICHMENT_URL", "http://127.0.0.1.evil.example", "must be an https:// URL (http:// only to 127.0.0.1 or [::1])"),
        ("ENRICHMENT_URL", "http://localhost:8080", "must be an https:// URL (http:// only to 127.0.0.1 or [::1])"),
        ("ENRICHMENT_URL", "ftp://x", "must be an https:// URL (http:// only to 127.0.0.1 or [::1])"),
    ])
    func anInvalidValueFailsTheInitialization(_ name: String, _ value: String, _ rule: String) {
        do {
            _ = try EnrichmentSettings.fromEnvironment { $0 == name ? value : nil }
            Issue.record("\(name)=\(value) was accepted")
        } catch {
            #expect(error.message == "Configuration error: \(name) \(rule)")
        }
    }
}
