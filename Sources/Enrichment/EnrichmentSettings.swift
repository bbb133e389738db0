public import Middleware
internal import Platform

/// The enrichment limits and the provider's location, from the environment. The limits default to the seed
/// document's figures (seed 003: 5000 ¢ a day, 100 000 ¢ a month, batches of 50, 5 jobs per organization, 3 retries
/// with exponential back-off from 5 s).
public struct EnrichmentSettings: Sendable, Equatable {
    /// Base URL of the provider (`ENRICHMENT_URL`, e.g. `https://api.provider.example`); `nil`: enrichment is off.
    public var baseURL: String?
    /// Name recorded as the participant's `enrichment_source` (`ENRICHMENT_PROVIDER_NAME`, default `provider`).
    public var providerName: String
    /// Bound on one provider call (`ENRICHMENT_TIMEOUT_MS`, default 5000), further bounded by the invocation's
    /// remaining time.
    public var timeoutMilliseconds: Int
    /// What one provider call costs, charged before the call (`ENRICHMENT_COST_CENTS`, default 10).
    public var costCents: Int
    /// Daily budget per organization, UTC days (`ENRICHMENT_DAILY_BUDGET_CENTS`, default 5000).
    public var dailyBudgetCents: Int
    /// Monthly budget per organization, UTC months (`ENRICHMENT_MONTHLY_BUDGET_CENTS`, default 100000).
    public var monthlyBudgetCents: Int
    /// Most participants in one batch (50, the document's figure; not configurable upwards).
    public var maxBatch: Int
    /// Jobs of one organization running at once (`ENRICHMENT_MAX_JOBS`, default 5).
    public var maxRunningJobs: Int
    /// Attempts per job: the first and three retries (`ENRICHMENT_MAX_ATTEMPTS`, default 4).
    public var maxAttempts: Int
    /// First retry delay; doubles each time (`ENRICHMENT_RETRY_BASE_MS`, default 5000).
    public var retryBaseMilliseconds: Int

    public static let defaults = EnrichmentSettings(
        baseURL: nil, providerName: "provider", timeoutMilliseconds: 5000, costCents: 10, dailyBudgetCents: 5000,
        monthlyBudgetCents: 100_000, maxBatch: 50, maxRunningJobs: 5, maxAttempts: 4, retryBaseMilliseconds: 5000
    )

    /// The settings from the process environment.
    public static func fromEnvironment() throws(InitializationError) -> EnrichmentSettings { try fromEnvironment(Platform.environment) }

    /// The settings from `environment`. Unset or empty values keep their defaults; any invalid value fails the
    /// initialization (`SettingsReader`): a budget must never silently become another.
    public static func fromEnvironment(_ environment: @escaping (String) -> String?) throws(InitializationError) -> EnrichmentSettings {
        let reader = SettingsReader(environment)
        var settings = defaults
        settings.baseURL = try reader.secureURL("ENRICHMENT_URL")
        settings.providerName = try reader.text("ENRICHMENT_PROVIDER_NAME", maxBytes: 64) ?? settings.providerName
        settings.timeoutMilliseconds = try reader.integer("ENRICHMENT_TIMEOUT_MS", in: 100...60_000) ?? settings.timeoutMilliseconds
        settings.costCents = try reader.integer("ENRICHMENT_COST_CENTS", in: 0...100_000) ?? settings.costCents
        settings.dailyBudgetCents = try reader.integer("ENRICHMENT_DAILY_BUDGET_CENTS", in: 0...100_000_000) ?? settings.dailyBudgetCents
        settings.monthlyBudgetCents =
            try reader.integer("ENRICHMENT_MONTHLY_BUDGET_CENTS", in: 0...1_000_000_000) ?? settings.monthlyBudgetCents
        settings.maxRunningJobs = try reader.integer("ENRICHMENT_MAX_JOBS", in: 1...100) ?? settings.maxRunningJobs
        settings.maxAttempts = try reader.integer("ENRICHMENT_MAX_ATTEMPTS", in: 1...10) ?? settings.maxAttempts
        settings.retryBaseMilliseconds = try reader.integer("ENRICHMENT_RETRY_BASE_MS", in: 0...3_600_000) ?? settings.retryBaseMilliseconds
        return settings
    }
}
