import Middleware
import Testing

@testable import Participants

/// `EXPORT_*`: defaults, bounds, and a refusal naming the variable for anything else.
@Suite struct ExportSettingsTests {
    func settings(_ values: [String: String]) throws(InitializationError) -> ExportSettings {
        try ExportSettings.fromEnvironment { values[$0] }
    }

    @Test func defaults() throws {
        let defaults = try settings([:])
        #expect(defaults.pageSize == 500 && defaults.responseBudgetBytes == 16 * 1024 * 1024 && defaults.timeReserveMilliseconds == 5000)
        let empty = try settings(["EXPORT_PAGE_SIZE": "", "EXPORT_RESPONSE_BUDGET_BYTES": "", "EXPORT_TIME_RESERVE_MS": ""])
        #expect(empty.pageSize == 500 && empty.responseBudgetBytes == 16 * 1024 * 1024 && empty.timeReserveMilliseconds == 5000)
    }

    @Test func theBoundsAreAccepted() throws {
        let low = try settings(["EXPORT_PAGE_SIZE": "1", "EXPORT_RESPONSE_BUDGET_BYTES": "1024", "EXPORT_TIME_RESERVE_MS": "0"])
        #expect(low.pageSize == 1 && low.responseBudgetBytes == 1024 && low.timeReserveMilliseconds == 0)
        let high = try settings(["EXPORT_PAGE_SIZE": "5000", "EXPORT_RESPONSE_BUDGET_BYTES": "16777216", "EXPORT_TIME_RESERVE_MS": "900000"])
        #expect(high.pageSize == 5000 && high.responseBudgetBytes == 16_777_216 && high.timeReserveMilliseconds == 900_000)
    }

    @Test(arguments: [
        ("EXPORT_PAGE_SIZE", "0", "5001", "Configuration error: EXPORT_PAGE_SIZE must be a whole number from 1 to 5000"),
        (
            "EXPORT_RESPONSE_BUDGET_BYTES", "1023", "16777217",
            "Configuration error: EXPORT_RESPONSE_BUDGET_BYTES must be a whole number from 1024 to 16777216"
        ),
        ("EXPORT_TIME_RESERVE_MS", "-0", "900001", "Configuration error: EXPORT_TIME_RESERVE_MS must be a whole number from 0 to 900000"),
    ])
    func anythingElseFailsTheInitialization(_ name: String, _ tooLow: String, _ tooHigh: String, _ message: String) {
        for value in [tooLow, tooHigh, "-1", "+5", " 5", "5 ", "5.0", "1e3", "five", "\u{665}", "99999999999999999999"] {
            let error = #expect(throws: InitializationError.self, "\(name)=\(value)") { try settings([name: value]) }
            // The message names the variable, never the value.
            #expect(error?.message == message)
        }
    }
}
