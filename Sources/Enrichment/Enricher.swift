internal import Curl
public import Logging
internal import Middleware
internal import Platform
public import Postgres
public import Secrets
public import WardenJSON

/// Runs enrichment jobs: creates them, claims an attempt within the organization's job limit, pays for every provider
/// call before making it, records each answer and closes the attempt (retry with back-off, or done). Shared by the
/// participant API (the attempt right after the request) and the scheduled worker (queued jobs and retries).
///
/// Not thread-safe: one per process, used by the single invocation loop.
public final class Enricher {
    public let settings: EnrichmentSettings
    let secrets: FunctionSecrets
    private var curl: CurlEasy?

    /// Time kept back from the invocation's deadline for the statements after the last provider call.
    static let reserveMilliseconds: Int64 = 1500

    public init(settings: EnrichmentSettings, secrets: FunctionSecrets) {
        self.settings = settings
        self.secrets = secrets
    }

    /// How one attempt ended.
    public struct AttemptResult: Sendable, Equatable {
        /// The attempt number, 0 when the job must wait (no free slot, or not due).
        public var attempt: Int
        /// Provider calls paid for and made.
        public var calls = 0
        /// What those calls were charged, in cents.
        public var spentCents: Int64 = 0
        /// Whether the budget refused a charge.
        public var budgetExceeded = false
        /// The job's status afterwards (`nil` when no attempt ran).
        public var status: String?
    }

    // MARK: Jobs

    /// Creates a job over `participants` (ids of the session's organization): `NOT_FOUND` when one is not.
    public func createJob(_ session: TenantSession, requestedBy: String, participants: [Int64]) throws -> Int64 {
        do {
            let rows = try session.query(EnrichmentSQL.createJob, [.text(requestedBy), .textArray(participants.map { String($0) })])
            guard let id = rows.first?.first.flatMap({ $0 }).flatMap({ Int64($0) }) else { throw EnvelopeError.toolFailure }
            return id
        } catch let error as PostgresError where error.sqlState == "WR404" {
            throw EnvelopeError(.notFound, participants.count == 1 ? "No such participant." : "A participant of the batch does not exist.")
        }
    }

    /// Claims and runs the next attempt of `job` if a slot is free and it is due; bounded by `deadline` (ms since
    /// the epoch). Provider calls stop early when time runs short; what is left is retried.
    public func attempt(_ job: Int64, session: TenantSession, deadline: Int64, logger: Logger) throws -> AttemptResult {
        let lease = Int(max(1000, deadline - Platform.nowMilliseconds() + 5000))
        let claimed = try session.query(
            EnrichmentSQL.claim, [.int(job), .int(Int64(settings.maxRunningJobs)), .int(Int64(lease))]
        )
        let number = claimed.first?.first.flatMap { $0 }.flatMap { Int($0) } ?? 0
        var result = AttemptResult(attempt: number)
        guard number > 0 else { return result }
        // A thrown error leaves the job `running` until its lease expires; the worker then takes it up again.
        let stop = try work(job, attempt: number, session: session, deadline: deadline, result: &result, logger: logger)
        let finished = try session.query(
            EnrichmentSQL.finish,
            [.int(job), .int(Int64(settings.maxAttempts)), .int(Int64(settings.retryBaseMilliseconds)), stop.map(PGValue.text) ?? .null]
        )
        result.status = finished.first?.first.flatMap { $0 }
        return result
    }

    /// The provider calls of one attempt; returns the stop reason (`budget`) if it ended early for that reason.
    private func work(
        _ job: Int64, attempt: Int, session: TenantSession, deadline: Int64, result: inout AttemptResult, logger: Logger
    ) throws -> String? {
        let items = try session.query(EnrichmentSQL.pendingItems, [.int(job)]).rows
        guard !items.isEmpty else { return nil }
        guard let baseURL = settings.baseURL else {
            logger.error("enrichment is not configured (ENRICHMENT_URL)")
            throw EnvelopeError.toolFailure
        }
        let key: String
        do {
            guard let value = try secrets.optionalSecret(
                variable: "ENRICHMENT_API_KEY", secretIdVariable: "ENRICHMENT_SECRET_ARN", jsonKey: "apiKey",
                timeoutMilliseconds: Int(max(100, min(2000, deadline - Platform.nowMilliseconds() - Self.reserveMilliseconds)))
            ) else {
                logger.error("enrichment provider key is not configured (ENRICHMENT_API_KEY or ENRICHMENT_SECRET_ARN)")
                throw EnvelopeError.toolFailure
            }
            key = value
        } catch let error as SecretsError {
            logger.error("enrichment provider key unavailable", metadata: ["error": .string(error.description)])
            throw EnvelopeError.toolFailure
        }
        let provider = EnrichmentProvider(baseURL: baseURL, curl: try handle())
        for item in items {
            guard let participant = item.first.flatMap({ $0 }).flatMap({ Int64($0) }) else { continue }
            let email = item.count > 1 ? item[1] ?? "" : ""
            if item.count > 2, item[2] == "t" {
                _ = try session.query(EnrichmentSQL.skipItem, [.int(job), .int(participant)])
                continue
            }
            let remaining = deadline - Platform.nowMilliseconds() - Self.reserveMilliseconds
            guard remaining >= 100 else { break }
            do {
                _ = try session.query(
                    EnrichmentSQL.charge,
                    [
                        .int(job), .int(participant), .int(Int64(attempt)), .int(Int64(settings.costCents)),
                        .int(Int64(settings.dailyBudgetCents)), .int(Int64(settings.monthlyBudgetCents)),
                    ]
                )
            } catch {
                guard error.sqlState == "WR402" else { throw error }
                result.budgetExceeded = true
                return "budget"
            }
            result.calls += 1
            result.spentCents += Int64(settings.costCents)
            let outcome = provider.lookup(email: email, apiKey: key, timeoutMilliseconds: Int(min(Int64(settings.timeoutMilliseconds), remaining)))
            var confidence: PGValue = .null
            var name: PGValue = .null
            if case .enriched(let displayName, let score) = outcome {
                confidence = .double(score)
                name = displayName.map(PGValue.text) ?? .null
            }
            if case .failed(let reason) = outcome {
                logger.warning("enrichment attempt failed", metadata: ["job": .stringConvertible(job), "reason": .string(reason)])
            }
            _ = try session.query(
                EnrichmentSQL.record,
                [
                    .int(job), .int(participant), .text(outcome.recorded), .text(settings.providerName),
                    .int(Int64(settings.costCents)), confidence, name,
                ]
            )
        }
        return nil
    }

    private func handle() throws -> CurlEasy {
        if let curl { return curl }
        do {
            let made = try CurlEasy()
            curl = made
            return made
        } catch {
            throw EnvelopeError.toolFailure
        }
    }

    // MARK: Views

    /// Job `id` as the API's JSON, or `nil` when it is not the session organization's.
    public func jobJSON(_ id: Int64, session: TenantSession) throws -> JSON? {
        guard let row = try session.query(EnrichmentSQL.job, [.int(id)]).first else { return nil }
        func at(_ i: Int) -> String? { i < row.count ? row[i] : nil }
        var items: [JSON] = []
        let list = at(6) ?? "{}"
        for entry in list.utf8.dropFirst().dropLast().split(separator: UInt8(ascii: ",")) {
            let parts = entry.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            guard parts.count == 3, let participant = Int64(String(decoding: parts[0], as: UTF8.self)),
                let cost = Int64(String(decoding: parts[2], as: UTF8.self))
            else { continue }
            items.append([
                "participantId": .int(participant), "status": .string(String(decoding: parts[1], as: UTF8.self)),
                "costCents": .int(cost),
            ])
        }
        return [
            "id": at(0).flatMap { Int64($0) }.map(JSON.int) ?? .null,
            "status": at(1).map(JSON.string) ?? .null,
            "attempts": at(2).flatMap { Int64($0) }.map(JSON.int) ?? .int(0),
            "maxAttempts": .int(Int64(settings.maxAttempts)),
            "nextAttemptAt": at(3).map(JSON.string) ?? .null,
            "createdAt": at(4).map(JSON.string) ?? .null,
            "updatedAt": at(5).map(JSON.string) ?? .null,
            "items": .array(items),
        ]
    }

    /// Today's and this month's spending against the budgets.
    public func budgetJSON(session: TenantSession) throws -> JSON {
        let row = try session.query(EnrichmentSQL.budget).first ?? []
        func at(_ i: Int) -> String? { i < row.count ? row[i] : nil }
        return [
            "day": [
                "periodStart": at(0).map(JSON.string) ?? .null, "spentCents": .int(at(1).flatMap { Int64($0) } ?? 0),
                "limitCents": .int(Int64(settings.dailyBudgetCents)),
            ],
            "month": [
                "periodStart": at(2).map(JSON.string) ?? .null, "spentCents": .int(at(3).flatMap { Int64($0) } ?? 0),
                "limitCents": .int(Int64(settings.monthlyBudgetCents)),
            ],
        ]
    }

    /// Jobs due now across organizations (for the worker; runs as the functions' role without a tenant).
    public static func dueJobs(_ database: Database, limit: Int, deadline: Int64) throws -> [(job: Int64, tenant: TenantID)] {
        let rows = try database.administrativeExecute(EnrichmentSQL.dueJobs, [.int(Int64(limit))], deadline: deadline)
        return try rows.decode { (row) throws(PostgresError) in (job: try row.int64(), tenant: try row.text()) }.compactMap { row in
            guard let job = row.job, let tenant = row.tenant.flatMap(TenantID.init) else { return nil }
            return (job, tenant)
        }
    }
}
