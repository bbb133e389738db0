public import LambdaRuntime
internal import Logging
internal import Middleware
internal import Platform
internal import Postgres
internal import Secrets
internal import WardenJSON

/// The enrichment worker (functions/enrichment_worker), run by an EventBridge schedule: it takes up the enrichment
/// jobs that wait — queued behind an organization's job limit, retries whose back-off has passed, attempts whose
/// lease expired after a crash — and runs their next attempt, each in its organization's session, within the same
/// budgets as the API. One scheduled run: every due job (oldest first, at most `ENRICHMENT_WORKER_BATCH`, default
/// 100) while time lasts.
public struct EnrichmentWorker: ByteHandler {
    let database: Database
    let enricher: Enricher
    let batch: Int

    init(secrets: FunctionSecrets) throws(InitializationError) {
        database = try InitializationError.database(from: secrets)
        enricher = Enricher(settings: try .fromEnvironment(), secrets: secrets)
        batch = try Self.batchSize(Platform.environment)
    }

    /// Runs the worker as a Lambda function.
    public static func main() -> Never {
        LambdaRuntime.run(shared: FunctionSecrets.forFunction) { secrets, _ in try EnrichmentWorker(secrets: secrets) }
    }

    /// `ENRICHMENT_WORKER_BATCH`: a whole number from 1 to 1000 (unset or empty: 100); anything else fails the
    /// initialization.
    static func batchSize(_ environment: @escaping (String) -> String?) throws(InitializationError) -> Int {
        try SettingsReader(environment).integer("ENRICHMENT_WORKER_BATCH", in: 1...1000) ?? 100
    }

    public mutating func handle(_ event: [UInt8], context: LambdaContext) throws -> [UInt8] {
        guard (try? JSON.parse(event))?.objectValue != nil else { throw EnvelopeError(.invalidInput, "The event must be a JSON object.") }
        let started = Platform.monotonicNanoseconds()
        let deadline = context.deadlineMilliseconds
        let reserve = Database.deadlineReserveMilliseconds
        // The run's metric line, written however it ends (a run that throws counts as an error).
        var spentCents: Int64 = 0
        var outcome = "TOOL_FAILURE"
        defer { Metrics.emit(function: "enrichment_worker", status: outcome == "ok" ? 200 : 500, outcome: outcome, started: started, budgetSpentCents: spentCents) }
        var counts: [String: Int64] = ["due": 0, "attempted": 0, "waiting": 0, "calls": 0, "errors": 0]
        let due = try Enricher.dueJobs(database, limit: batch, deadline: deadline - reserve)
        counts["due"] = Int64(due.count)
        for (job, tenant) in due {
            // One provider call and the bookkeeping around it must still fit.
            guard deadline - Platform.nowMilliseconds() > Int64(enricher.settings.timeoutMilliseconds) + 2 * reserve + 1500 else { break }
            var audit = AuditEvent(
                requestID: context.requestID, clientID: "worker", tenant: tenant, tool: "enrichment_worker",
                action: "enrich job \(job)", outcome: "ok", status: 200
            )
            do {
                let result = try database.withTenant(tenant, deadline: deadline) { session in
                    try enricher.attempt(job, session: session, deadline: deadline, logger: context.logger)
                }
                counts["calls", default: 0] += Int64(result.calls)
                spentCents += result.spentCents
                if result.attempt == 0 {
                    counts["waiting", default: 0] += 1
                    continue
                }
                counts["attempted", default: 0] += 1
                let status = result.status ?? "unknown"
                counts[status, default: 0] += 1
                audit.action = "enrich job \(job) attempt \(result.attempt)"
                audit.outcome = status
            } catch {
                counts["errors", default: 0] += 1
                audit.outcome = "TOOL_FAILURE"
                audit.status = 500
                context.logger.error("enrichment job failed", metadata: ["job": .stringConvertible(job)].merging(ErrorMetadata.describe(error)) { a, _ in a })
            }
            do {
                try database.append(audit, deadline: deadline - reserve)
            } catch {
                context.logger.error("audit write failed", metadata: ErrorMetadata.describe(error))
            }
        }
        try database.append(
            AuditEvent(
                requestID: context.requestID, clientID: "worker", tenant: nil, tool: "enrichment_worker",
                action: Self.runAction(counts), outcome: "ok", status: 200
            ),
            deadline: deadline - reserve
        )
        var metadata: Logger.Metadata = ["function": "enrichment_worker"]
        for (key, value) in counts { metadata[key] = .stringConvertible(value) }
        context.logger.info("enrichment run", metadata: metadata)
        outcome = counts["errors", default: 0] > 0 ? "TOOL_FAILURE" : "ok"
        return Self.reply(counts)
    }

    /// The run's audit action: `run ` and the counts as `name=value` in name order, at most 200 characters.
    static func runAction(_ counts: [String: Int64]) -> String {
        let summary = counts.keys.sorted().map { "\($0)=\(counts[$0] ?? 0)" }.joined(separator: " ")
        return "run \(summary)".prefix(200).description
    }

    /// The answer: `{"ok":true,"data":{…the counts in name order…},"error":null}`.
    static func reply(_ counts: [String: Int64]) -> [UInt8] {
        var data = JSONObject()
        for key in counts.keys.sorted() { data.append(key: key, value: .int(counts[key] ?? 0)) }
        var writer = JSONWriter()
        writer.value(["ok": true, "data": .object(data), "error": .null])
        return writer.bytes
    }
}
