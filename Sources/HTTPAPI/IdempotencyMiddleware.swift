public import Middleware
internal import Logging
internal import Platform
public import LambdaHTTP
public import Postgres

/// `Idempotency-Key` on the routes that change data (see ``Idempotency`` for the semantics): reserves the key in
/// front of the route's first statement, stores a 2xx answer, replays a stored one, refuses a mismatch or a call in
/// progress with `409`, and gives the key back when the call fails.
///
/// An `atomic` route runs in one transaction with its reservation and its stored answer (or the reservation's
/// release, for an answer that is not 2xx): a change is never committed without the answer a retry will get,
/// whatever fails when. A route that must not hold a transaction open (it calls other services between its
/// statements) stores its answer in a transaction of its own after the route's; a failure between the two leaves
/// the key reserved until the invocation's deadline.
public final class IdempotencyMiddleware: RequestMiddleware {
    let database: Database
    /// How long an answer is kept (`IDEMPOTENCY_TTL_SECONDS`).
    let ttlSeconds: Int

    public init(database: Database, ttlSeconds: Int) {
        self.database = database
        self.ttlSeconds = ttlSeconds
    }

    /// `IDEMPOTENCY_TTL_SECONDS` (1–604800, default 86400); anything else fails the initialization.
    public static func ttlSeconds() throws(InitializationError) -> Int { try Idempotency.ttlSeconds() }

    public func handle(_ request: HTTPRequest, context: inout RequestContext, next: MiddlewareNext) throws -> HTTPResponse {
        guard let route = context.route, route.mutates, let key = try Idempotency.key(request) else {
            return try next(request, &context)
        }
        let tenant = try context.requireTenant()
        let fingerprint = Idempotency.fingerprint(request)
        let deadline = context.deadline.milliseconds
        let requestID = context.requestID
        let reservation = max(1000, deadline - Platform.nowMilliseconds())
        // The guards before the reservation: the tenant's rate-limit statement.
        let checks = context.guardStatements
        context.guardStatements.append(
            (Idempotency.begin, [.text(tenant.rawValue), .text(key), .text(fingerprint), .text(requestID), .int(reservation)])
        )
        let stored = Idempotency.storable(context.responseHeaders)
        let ttl = ttlSeconds
        /// The statement that ends the reservation with `response`: its answer stored, or the key given back.
        func closing(_ response: HTTPResponse) -> (SQL, [PGValue]) {
            guard (200..<300).contains(response.status) else { return (Idempotency.release, [.text(key), .text(requestID)]) }
            return (
                Idempotency.complete,
                [
                    .text(key), .text(requestID), .int(Int64(response.status)),
                    .text(String(decoding: response.bytes ?? [], as: UTF8.self)), .text(Idempotency.encode(stored)),
                    .int(Int64(ttl)),
                ]
            )
        }
        let response: HTTPResponse
        do {
            if route.atomic {
                response = try database.withTransaction(
                    tenant, deadline: deadline, { _ in try next(request, &context) }, closing: { response in [closing(response)] }
                )
            } else {
                response = try next(request, &context)
            }
        } catch let error as PostgresError {
            if RequestGuards.envelopeError(for: error, guardCount: checks.count, nowMilliseconds: 0) != nil {
                throw error  // a guard refused (`RequestGuardsMiddleware` says how): the batch rolled back, nothing reserved
            }
            if error.statementIndex == checks.count {
                switch error.sqlState {
                case "WR208":
                    return try replay(key: key, fingerprint: fingerprint, checks: checks, context: &context)
                case "WR409": throw Idempotency.mismatch
                case "WR425": throw Idempotency.inProgress
                default: break
                }
            }
            if !route.atomic { release(key: key, tenant: tenant, context: context) }
            throw error
        } catch {
            // Atomic: rolled back with everything else. Otherwise the reservation may have committed with one of
            // the route's statements before it failed.
            if !route.atomic { release(key: key, tenant: tenant, context: context) }
            throw error
        }
        let succeeded = (200..<300).contains(response.status)
        guard !route.atomic else { return answered(response, outcome: succeeded ? "stored" : "unstored", context: &context) }
        guard succeeded else {
            release(key: key, tenant: tenant, context: context)
            return answered(response, outcome: "unstored", context: &context)
        }
        do {
            let (sql, binds) = closing(response)
            let result = try database.withTenant(tenant, deadline: deadline) { session in try session.query(sql, binds) }
            guard result.affectedRows == 1 else {
                context.logger.warning("idempotency reservation lost before the answer was stored")
                return answered(response, outcome: "unstored", context: &context)
            }
        } catch {
            // The change is committed: answer it. The reservation expires at the deadline.
            context.logger.error("idempotency answer not stored", metadata: ErrorMetadata.describe(error))
            return answered(response, outcome: "unstored", context: &context)
        }
        return answered(response, outcome: "stored", context: &context)
    }

    /// `response`, with what became of it in the log line's `idempotency` field.
    private func answered(_ response: HTTPResponse, outcome: String, context: inout RequestContext) -> HTTPResponse {
        context.logMetadata["idempotency"] = .string(outcome)
        return response
    }

    /// The stored answer for `key` and `fingerprint`, behind the tenant's rate limit (`checks`, sent again: the
    /// refused reservation rolled back their first charge).
    private func replay(
        key: String, fingerprint: String, checks: [(SQL, [PGValue])], context: inout RequestContext
    ) throws -> HTTPResponse {
        let tenant = try context.requireTenant()
        let rows = try database.withTenant(tenant, deadline: context.deadline.milliseconds, leading: checks) { session in
            try session.query(Idempotency.fetch, [.text(key), .text(fingerprint)]).decode { (row) throws(PostgresError) in
                (status: try row.int(), body: try row.text(), headers: try row.text())
            }
        }
        // Gone since the reservation was refused (expired that very moment): the caller may simply retry.
        guard let row = rows.first, let status = row.status, let body = row.body else { throw Idempotency.inProgress }
        let headers = Idempotency.merged(context.responseHeaders, Idempotency.decode(row.headers) + [(Idempotency.replayedHeader, "true")])
        context.outcome = Idempotency.replayedOutcome
        context.budgetSpentCents = 0
        return answered(HTTPResponse(status: status, headers: headers, body: .bytes(Array(body.utf8))), outcome: Idempotency.replayedOutcome, context: &context)
    }

    /// Gives back this request's reservation of `key` (best effort: it expires at the deadline anyway).
    private func release(key: String, tenant: TenantID, context: RequestContext) {
        do {
            _ = try database.withTenant(tenant, deadline: context.deadline.milliseconds) { session in
                try session.query(Idempotency.release, [.text(key), .text(context.requestID)])
            }
        } catch {
            context.logger.warning("idempotency reservation not released", metadata: ErrorMetadata.describe(error))
        }
    }
}
