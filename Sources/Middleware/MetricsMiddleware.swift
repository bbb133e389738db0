public import LambdaHTTP
public import Postgres
internal import LambdaRuntime
internal import Logging
internal import Platform

/// The request's log line (`request`, with the function, status, duration and error code) and its CloudWatch
/// embedded-metric line (`Metrics`), once the answer is complete. A preflight is logged only when
/// `logsPreflight` (the copilot tools log theirs; the HTTP APIs do not), and never counted. Given the function's
/// database, the line says how many round trips to it the request took (`db.roundTrips`, audit row included; absent
/// when none).
public final class MetricsMiddleware: RequestMiddleware {
    let function: String
    let metrics: Metrics.Emitter
    /// The log line's key for the function name (`tool` for the copilot tools, `function` for the HTTP APIs).
    let nameKey: String
    let logsPreflight: Bool
    let database: Database?

    public init(function: String, nameKey: String, logsPreflight: Bool, database: Database? = nil) {
        self.function = function
        metrics = Metrics.Emitter(function: function)
        self.nameKey = nameKey
        self.logsPreflight = logsPreflight
        self.database = database
    }

    public func handle(_ request: HTTPRequest, context: inout RequestContext, next: MiddlewareNext) throws -> HTTPResponse {
        context.databaseRoundTripsAtStart = database?.roundTrips
        return try next(request, &context)
    }

    public func finish(_ end: RequestEnd, context: RequestContext) {
        if context.isPreflight, !logsPreflight { return }
        let extra = end.logMetadata
        var fields: [LogField] = []
        fields.reserveCapacity(5 + extra.count)
        // A field of the request's own (`logMetadata`) replaces the one of the same key given here.
        func add(_ field: LogField) {
            if extra.isEmpty || extra[field.key] == nil { fields.append(field) }
        }
        add(LogField(nameKey, function))
        add(LogField("status", integer: end.status))
        add(LogField("durationUs", integer: Int64(truncatingIfNeeded: (Platform.monotonicNanoseconds() &- context.started) / 1000)))
        if end.outcome != "ok", end.outcome != RequestEnd.replayed { add(LogField("error.code", end.outcome)) }
        if let database, let start = context.databaseRoundTripsAtStart, database.roundTrips > start {
            add(LogField("db.roundTrips", integer: database.roundTrips - start))
        }
        for (key, value) in extra { fields.append(LogField(key, value)) }
        context.logger.log(level: .info, "request", fields: fields)
        guard !context.isPreflight else { return }
        metrics.emit(status: end.status, outcome: end.outcome, started: context.started, budgetSpentCents: context.budgetSpentCents)
    }
}
