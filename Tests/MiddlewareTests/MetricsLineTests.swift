import Testing
import WardenJSON

@testable import Middleware

/// The EMF line, its constant part made once: the same bytes as the line written field by field.
@Suite struct MetricsLineTests {
    /// The line as a JSON writer writes it, every field in turn (the duration through a Double).
    private func reference(
        function: String, status: Int, outcome: String, micros: UInt64, timestamp: Int64, budget: Int64
    ) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("_aws")
        w.beginObject()
        w.key("Timestamp")
        w.int(timestamp)
        w.key("CloudWatchMetrics")
        w.beginArray()
        w.beginObject()
        w.key("Namespace")
        w.string("Warden")
        w.key("Dimensions")
        w.beginArray()
        w.beginArray()
        w.string("Function")
        w.endArray()
        w.beginArray()
        w.endArray()
        w.endArray()
        w.key("Metrics")
        w.beginArray()
        for (name, unit) in [("Duration", "Milliseconds"), ("Errors", "Count"), ("Unauthorized", "Count"), ("RateLimited", "Count"), ("BudgetSpentCents", "None")] {
            w.beginObject()
            w.key("Name")
            w.string(name)
            w.key("Unit")
            w.string(unit)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        w.endArray()
        w.endObject()
        w.key("Function")
        w.string(function)
        w.key("Duration")
        w.double(Double(micros) / 1000)
        w.key("Errors")
        w.int(status >= 500 || outcome == "TOOL_FAILURE" ? 1 : 0)
        w.key("Unauthorized")
        w.int(outcome == "UNAUTHORIZED" ? 1 : 0)
        w.key("RateLimited")
        w.int(outcome == "RATE_LIMITED" || outcome == "TOO_MANY_CONCURRENT_REQUESTS" ? 1 : 0)
        w.key("BudgetSpentCents")
        w.int(budget)
        w.key("Outcome")
        w.string(outcome == "replayed" ? "ok" : outcome)
        w.endObject()
        return w.bytes + [0x0A]
    }

    @Test func theLineMatchesTheOneWrittenFieldByField() {
        let cases: [(String, Int, String, UInt64, Int64, Int64)] = [
            ("calculate_health", 200, "ok", 0, 1_795_402_800_250, 0),
            ("calculate_health", 200, "replayed", 5, 0, 0),
            ("generate_email", 404, "MISSING_DATA", 1500, 1_700_000_000_000, 0),
            ("participants", 401, "UNAUTHORIZED", 2000, 1_700_000_000_001, 0),
            ("participants", 429, "RATE_LIMITED", 123, 1_700_000_000_002, 0),
            ("mcp", 503, "TOO_MANY_CONCURRENT_REQUESTS", 1_000_001, 1, 0),
            ("enrichment_worker", 500, "TOOL_FAILURE", 123_456_789_012, 2, 1234),
            ("a \"quoted\"\\name\u{1}", 200, "odd \"outcome\"", 999, 3, -5),
        ]
        for (function, status, outcome, micros, timestamp, budget) in cases {
            let line = Metrics.Emitter(function: function).line(
                status: status, outcome: outcome, durationMicroseconds: micros, timestamp: timestamp, budgetSpentCents: budget
            )
            let expected = reference(function: function, status: status, outcome: outcome, micros: micros, timestamp: timestamp, budget: budget)
            #expect(String(decoding: line, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        }
    }
}
