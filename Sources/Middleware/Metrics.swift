internal import Platform
internal import WardenJSON

/// One CloudWatch Embedded Metric Format line per metered call of an HTTP function (copilot tools, the APIs),
/// written to standard output as its own JSON line next to the "request" log line. Namespace `Warden`, published
/// twice: per function (`Function` dimension) and account-wide (the empty dimension set, which the templates'
/// alarms watch). Tenant-free: the only dimension is the function's name, and the line carries no caller data.
///
/// Metrics: `Duration` (ms), `Errors` (a 5xx or `TOOL_FAILURE`), `Unauthorized` (`UNAUTHORIZED`), `RateLimited`
/// (`RATE_LIMITED` or `TOO_MANY_CONCURRENT_REQUESTS`) and `BudgetSpentCents` (the enrichment charges the call
/// made: the enrich routes and the scheduled worker; 0 elsewhere). `Outcome` (`ok` or the envelope's error code)
/// is a property, searchable in Logs Insights but not a dimension. The scheduled functions (enrichment worker,
/// retention) write one line per run too.
public enum Metrics {
    /// The metric namespace.
    static let namespace = "Warden"

    /// Writes the line for a call of `function` that ended with `status` and `outcome` (`ok`, or an error code),
    /// `started` being the call's `Platform.monotonicNanoseconds()` at its start.
    public static func emit(function: String, status: Int, outcome: String, started: UInt64, budgetSpentCents: Int64 = 0) {
        let micros = (Platform.monotonicNanoseconds() &- started) / 1000
        Platform.writeStandardOutput(
            line(
                function: function, status: status, outcome: outcome, durationMicroseconds: micros,
                timestamp: Platform.nowMilliseconds(), budgetSpentCents: budgetSpentCents
            )
        )
    }

    /// The EMF line itself (with its newline).
    static func line(
        function: String, status: Int, outcome: String, durationMicroseconds: UInt64, timestamp: Int64, budgetSpentCents: Int64
    ) -> [UInt8] {
        let failed = status >= 500 || outcome == ErrorCode.toolFailure.rawValue
        let unauthorized = outcome == ErrorCode.unauthorized.rawValue
        let limited = outcome == ErrorCode.rateLimited.rawValue || outcome == ErrorCode.tooManyConcurrent.rawValue
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.key("_aws")
        w.beginObject()
        w.key("Timestamp")
        w.int(timestamp)
        w.key("CloudWatchMetrics")
        w.beginArray()
        w.beginObject()
        w.key("Namespace")
        w.string(namespace)
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
        for (name, unit) in [
            ("Duration", "Milliseconds"), ("Errors", "Count"), ("Unauthorized", "Count"), ("RateLimited", "Count"),
            ("BudgetSpentCents", "None"),
        ] {
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
        w.double(Double(durationMicroseconds) / 1000)
        w.key("Errors")
        w.int(failed ? 1 : 0)
        w.key("Unauthorized")
        w.int(unauthorized ? 1 : 0)
        w.key("RateLimited")
        w.int(limited ? 1 : 0)
        w.key("BudgetSpentCents")
        w.int(budgetSpentCents)
        w.key("Outcome")
        w.string(outcome == RequestEnd.replayed ? "ok" : outcome)  // a replay is counted as the success it repeats
        w.endObject()
        var bytes = w.bytes
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }
}
