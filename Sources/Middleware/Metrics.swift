internal import Bytes
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
    /// `started` being the call's `Platform.monotonicNanoseconds()` at its start. A function that writes a line on
    /// every call keeps an ``Emitter`` instead, which makes the line's constant part once.
    public static func emit(function: String, status: Int, outcome: String, started: UInt64, budgetSpentCents: Int64 = 0) {
        Emitter(function: function).emit(status: status, outcome: outcome, started: started, budgetSpentCents: budgetSpentCents)
    }

    /// The metrics every line declares, with their units.
    static let declared = [
        ("Duration", "Milliseconds"), ("Errors", "Count"), ("Unauthorized", "Count"), ("RateLimited", "Count"),
        ("BudgetSpentCents", "None"),
    ]

    /// One function's lines: what does not change from call to call (the metric declarations and the function's
    /// name) is written once, the rest appended as numbers.
    public struct Emitter: Sendable {
        /// `,"CloudWatchMetrics":[…]},"Function":"<name>","Duration":` — between the timestamp and the duration.
        private let middle: [UInt8]

        public init(function: String) {
            var declarations = JSONWriter(capacity: 384)
            declarations.beginArray()
            declarations.beginObject()
            declarations.key("Namespace")
            declarations.string(Metrics.namespace)
            declarations.key("Dimensions")
            declarations.beginArray()
            declarations.beginArray()
            declarations.string("Function")
            declarations.endArray()
            declarations.beginArray()
            declarations.endArray()
            declarations.endArray()
            declarations.key("Metrics")
            declarations.beginArray()
            for (name, unit) in Metrics.declared {
                declarations.beginObject()
                declarations.key("Name")
                declarations.string(name)
                declarations.key("Unit")
                declarations.string(unit)
                declarations.endObject()
            }
            declarations.endArray()
            declarations.endObject()
            declarations.endArray()
            var name = JSONWriter(capacity: 64)
            name.string(function)
            middle = Array(#","CloudWatchMetrics":"#.utf8) + declarations.bytes + Array(#"},"Function":"#.utf8) + name.bytes
                + Array(#","Duration":"#.utf8)
        }

        /// Writes the line for a call that ended with `status` and `outcome`, `started` being the call's
        /// `Platform.monotonicNanoseconds()` at its start.
        public func emit(status: Int, outcome: String, started: UInt64, budgetSpentCents: Int64 = 0) {
            let micros = (Platform.monotonicNanoseconds() &- started) / 1000
            Platform.writeStandardOutput(
                line(
                    status: status, outcome: outcome, durationMicroseconds: micros, timestamp: Platform.nowMilliseconds(),
                    budgetSpentCents: budgetSpentCents
                )
            )
        }

        /// The line itself (with its newline).
        func line(status: Int, outcome: String, durationMicroseconds: UInt64, timestamp: Int64, budgetSpentCents: Int64) -> [UInt8] {
            let failed = status >= 500 || outcome == ErrorCode.toolFailure.rawValue
            let unauthorized = outcome == ErrorCode.unauthorized.rawValue
            let limited = outcome == ErrorCode.rateLimited.rawValue || outcome == ErrorCode.tooManyConcurrent.rawValue
            var line: [UInt8] = []
            line.reserveCapacity(middle.count + 160)
            line += #"{"_aws":{"Timestamp":"#.utf8
            line.appendDecimal(timestamp)
            line += middle
            // Milliseconds with up to three decimals: what `Double(micros) / 1000` reads as, without a Double.
            line.appendDecimal(durationMicroseconds / 1000)
            var fraction = durationMicroseconds % 1000
            if fraction != 0 {
                line.append(UInt8(ascii: "."))
                var scale: UInt64 = 100
                while fraction != 0 {
                    line.append(UInt8(truncatingIfNeeded: 0x30 + fraction / scale))
                    fraction %= scale
                    scale /= 10
                }
            }
            line += #","Errors":"#.utf8
            line.append(failed ? 0x31 : 0x30)
            line += #","Unauthorized":"#.utf8
            line.append(unauthorized ? 0x31 : 0x30)
            line += #","RateLimited":"#.utf8
            line.append(limited ? 0x31 : 0x30)
            line += #","BudgetSpentCents":"#.utf8
            line.appendDecimal(budgetSpentCents)
            line += #","Outcome":"#.utf8
            var text = JSONWriter(capacity: 32)
            text.string(outcome == RequestEnd.replayed ? "ok" : outcome)  // a replay is counted as the success it repeats
            line += text.bytes
            line += "}\n".utf8
            return line
        }
    }
}
