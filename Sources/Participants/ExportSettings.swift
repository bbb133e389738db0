public import Middleware
internal import Platform

/// The export's settings, read once at initialization; an invalid value fails initialization with a message naming
/// the variable (never its value), and never falls back to a default.
public struct ExportSettings: Sendable {
    /// Rows per page, read in one statement and sent as one chunk at most (`EXPORT_PAGE_SIZE`).
    var pageSize = 500
    /// Bytes of NDJSON one response may carry, final line included (`EXPORT_RESPONSE_BUDGET_BYTES`). Lambda ends a
    /// streamed response at 20 MiB, prelude included, mid-row; an answer stops at a row boundary before the budget
    /// instead and says where to continue. Only a response's first row may go beyond it (so every response makes
    /// progress), and a row is at most a few KiB (the API's strings are at most 500 bytes).
    var responseBudgetBytes = 16 * 1024 * 1024
    /// No further page is read once less than this is left of the invocation's time (`EXPORT_TIME_RESERVE_MS`): the
    /// response ends with a continuation instead of racing the deadline. The first page is always read.
    var timeReserveMilliseconds: Int64 = 5000

    static let pageSizes = 1...5000
    static let responseBudgets = 1024...(16 * 1024 * 1024)
    static let timeReserves: ClosedRange<Int64> = 0...900_000

    /// The settings from the process environment (see `fromEnvironment(_:)`).
    public static func fromEnvironment() throws(InitializationError) -> ExportSettings {
        try fromEnvironment(Platform.environment)
    }

    /// The settings from `environment`; unset or empty variables keep their defaults.
    static func fromEnvironment(_ environment: @escaping (String) -> String?) throws(InitializationError) -> ExportSettings {
        let reader = SettingsReader(environment)
        var settings = ExportSettings()
        settings.pageSize = try reader.integer("EXPORT_PAGE_SIZE", in: pageSizes) ?? settings.pageSize
        settings.responseBudgetBytes = try reader.integer("EXPORT_RESPONSE_BUDGET_BYTES", in: responseBudgets) ?? settings.responseBudgetBytes
        settings.timeReserveMilliseconds = try reader.integer("EXPORT_TIME_RESERVE_MS", in: timeReserves) ?? settings.timeReserveMilliseconds
        return settings
    }
}
