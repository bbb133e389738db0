// The enrichment worker (seed 003): run by an EventBridge schedule (every minute), it takes up the enrichment jobs
// that wait — queued behind an organization's job limit, retries whose back-off has passed, attempts whose lease
// expired after a crash — and runs their next attempt, each in its organization's session, within the same budgets.
import Enrichment
import LambdaRuntime
import Logging
import Middleware
import Platform
import Postgres
import Secrets
import WardenJSON

/// One scheduled run: every due job (oldest first, at most `ENRICHMENT_WORKER_BATCH`, default 100) while time lasts.
struct EnrichmentWorker: ByteHandler {
    let database: Database
    let enricher: Enricher
    let batch: Int

    init(secrets: FunctionSecrets) throws(InitializationError) {
        database = try InitializationError.database(from: secrets)
        enricher = Enricher(settings: .fromEnvironment(), secrets: secrets)
        batch = Platform.environment("ENRICHMENT_WORKER_BATCH").flatMap { Int($0) }.flatMap { (1...1000).contains($0) ? $0 : nil } ?? 100
    }

    mutating func handle(_ event: [UInt8], context: LambdaContext) throws -> [UInt8] {
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
        let summary = counts.keys.sorted().map { "\($0)=\(counts[$0] ?? 0)" }.joined(separator: " ")
        try database.append(
            AuditEvent(
                requestID: context.requestID, clientID: "worker", tenant: nil, tool: "enrichment_worker",
                action: "run \(summary)".prefix(200).description, outcome: "ok", status: 200
            ),
            deadline: deadline - reserve
        )
        var metadata: Logger.Metadata = ["function": "enrichment_worker"]
        for (key, value) in counts { metadata[key] = .stringConvertible(value) }
        context.logger.info("enrichment run", metadata: metadata)
        outcome = counts["errors", default: 0] > 0 ? "TOOL_FAILURE" : "ok"
        var data = JSONObject()
        for key in counts.keys.sorted() { data.append(key: key, value: .int(counts[key] ?? 0)) }
        var writer = JSONWriter()
        writer.value(["ok": true, "data": .object(data), "error": .null])
        return writer.bytes
    }
}

LambdaRuntime.run(shared: FunctionSecrets.forFunction) { secrets, _ in try EnrichmentWorker(secrets: secrets) }
