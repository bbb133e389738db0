public import LambdaRuntime
internal import Logging
internal import Middleware
internal import Platform
internal import Postgres
internal import Secrets

/// The scheduled retention function: an EventBridge schedule event in, one sweep out. Each category (see
/// `RetentionCategory`) is swept in batches of at most `RETENTION_BATCH_SIZE` rows, one statement and one
/// transaction each, until a batch comes back short (nothing left) or the invocation's time runs low; the run is
/// audited (`audit_events`, tool `retention`, counts only) and logged as one line, and the counts are the reply.
/// functions/retention runs it (`main()`).
public struct RetentionHandler: ByteHandler {
    /// The function's name in audit rows and logs.
    static let name = "retention"
    static let defaultBatchSize = 500
    static let maxBatchSize = 10_000
    /// Kept back from the deadline for the audit row and the reply: statements are cancelled past it.
    static let finishReserveMilliseconds: Int64 = 500
    /// A batch starts only when this much time is left before that point, plus twice the slowest batch so far.
    static let batchReserveMilliseconds: Int64 = 250

    let database: Database
    let batchSize: Int

    /// Reads `RETENTION_BATCH_SIZE` (1–10000, default 500) and the database URL now, so a misconfigured function
    /// fails at init with a clear message; connects on first use. A rotated database secret is followed by the
    /// database itself (`InitializationError.database(from:)`), as in every function.
    init(secrets: FunctionSecrets, environment: (String) -> String? = Platform.environment) throws(InitializationError) {
        if let setting = environment("RETENTION_BATCH_SIZE"), !setting.isEmpty {
            guard let size = Int(setting), (1...Self.maxBatchSize).contains(size) else {
                throw InitializationError("Configuration error: RETENTION_BATCH_SIZE must be an integer from 1 to \(Self.maxBatchSize)")
            }
            batchSize = size
        } else {
            batchSize = Self.defaultBatchSize
        }
        database = try InitializationError.database(from: secrets)
    }

    /// Runs the function. Its logs are JSON unless `AWS_LAMBDA_LOG_FORMAT` says otherwise: they are for machines.
    public static func main() -> Never {
        if Platform.environment("AWS_LAMBDA_LOG_FORMAT") == nil { Platform.setEnvironment("AWS_LAMBDA_LOG_FORMAT", "JSON") }
        LambdaRuntime.run(shared: FunctionSecrets.forFunction) { secrets, _ in try RetentionHandler(secrets: secrets) }
    }

    public mutating func handle(_ event: [UInt8], context: LambdaContext) throws -> [UInt8] {
        let started = Platform.monotonicNanoseconds()
        var audit = AuditEvent(
            requestID: context.requestID, clientID: nil, tenant: nil, tool: Self.name, action: "sweep", outcome: "ok", status: 200
        )
        let clock: ScheduleClock
        do {
            clock = try ScheduleClock(event: event, nowMilliseconds: Platform.nowMilliseconds())
        } catch {
            // Refused before anything ran: only the refusal is recorded.
            audit.action = "sweep refused"
            audit.outcome = "INVALID_INPUT"
            audit.status = 400
            appendAudit(audit, context)
            Metrics.emit(function: Self.name, status: audit.status, outcome: audit.outcome, started: started)
            context.logger.warning("retention refused", metadata: [
                "function": .string(Self.name), "error.type": .string(error.code.rawValue),
                "durationUs": .stringConvertible((Platform.monotonicNanoseconds() &- started) / 1000),
            ])
            throw error
        }
        var report = RetentionReport(clock: clock, batchSize: batchSize)
        var failure: RetentionError?
        do {
            try sweep(&report, context: context)
        } catch {
            failure = RetentionError(.sweepFailed, "The retention sweep failed; the batches it finished stay committed.")
            context.logger.error("retention sweep failed", metadata: Self.describe(error))
            audit.outcome = "TOOL_FAILURE"
            audit.status = 500
        }
        audit.action = report.auditAction
        if !appendAudit(audit, context) {
            failure = failure ?? RetentionError(.sweepFailed, "The retention sweep ran but could not be audited.")
        }
        context.logger.info("retention sweep", metadata: [
            "function": .string(Self.name), "now": .string(clock.iso8601), "outcome": .string(audit.outcome),
            "complete": .stringConvertible(report.complete), "batchSize": .stringConvertible(batchSize),
            "batches": .stringConvertible(report.batches),
            "deleted.queries": .stringConvertible(Int(report[.queries])),
            "deleted.evidence": .stringConvertible(Int(report[.evidence])),
            "deleted.companies": .stringConvertible(Int(report[.companies])),
            "anonymized.participants": .stringConvertible(Int(report[.participants])),
            "deleted.idempotency": .stringConvertible(Int(report[.idempotency])),
            "durationUs": .stringConvertible((Platform.monotonicNanoseconds() &- started) / 1000),
        ])
        Metrics.emit(function: Self.name, status: audit.status, outcome: audit.outcome, started: started)
        if let failure { throw failure }
        return report.json
    }

    /// Sweeps every category in order, batch after batch; leaves `report.complete` false when time runs low.
    private func sweep(_ report: inout RetentionReport, context: LambdaContext) throws(PostgresError) {
        let stopAt = context.deadlineMilliseconds - Self.finishReserveMilliseconds
        var slowest: Int64 = 0
        for category in RetentionCategory.allCases {
            while true {
                let begun = Platform.nowMilliseconds()
                guard stopAt - begun >= Self.batchReserveMilliseconds + 2 * slowest else { return }
                let result: PGRows
                do {
                    result = try database.administrativeExecute(
                        RetentionSQL.sweep, [.text(report.clock.iso8601), .text(category.rawValue), .int(Int64(batchSize))],
                        deadline: stopAt
                    )
                } catch where error.code == .timeout {
                    return  // cancelled at `stopAt`: the batch rolled back; the next run takes it
                }
                guard let cell = result.first?.first, let text = cell, let rows = Int64(text), rows >= 0 else {
                    throw PostgresError(.unexpectedResult, detail: "warden_retention_sweep returned no count")
                }
                slowest = max(slowest, Platform.nowMilliseconds() - begun)
                report.record(category, rows: rows)
                if rows < Int64(batchSize) { break }
            }
        }
        report.complete = true
    }

    /// Appends the run's audit row; logs and returns `false` when it cannot.
    @discardableResult
    private func appendAudit(_ audit: AuditEvent, _ context: LambdaContext) -> Bool {
        do {
            try database.append(audit, deadline: context.deadlineMilliseconds - Database.deadlineReserveMilliseconds)
            return true
        } catch {
            context.logger.error("audit write failed", metadata: Self.describe(error))
            return false
        }
    }

    /// What an operator may learn about a failure: its category and codes, never a statement's server message (it
    /// may quote data). A failed connection says why (`ErrorMetadata`: libpq's first line, or the database secret
    /// that could not be read), which names no password.
    private static func describe(_ error: any Error) -> Logger.Metadata {
        if error is PostgresError || error is SecretsError { return ErrorMetadata.describe(error) }
        return ["error.kind": .string(String(describing: type(of: error)))]
    }
}
