internal import LambdaRuntime
internal import Logging
internal import Platform
internal import Postgres
internal import WardenCrypto
internal import WardenJSON

/// `Idempotency-Key` on the routes that change data (`APIRoute(…, mutates: true)`), with Stripe's semantics:
///
/// - The key is 1–255 printable ASCII characters (anything else, or two different values, is `400 INVALID_INPUT`)
///   and belongs to the caller's organization: another organization's identical key is another key. The request's
///   fingerprint is the SHA-256 of its method, path and body.
/// - The first call reserves the key with `warden_idempotency_begin` (migration 11), sent in the same pipeline and
///   transaction as the route's first statement (after the tenant's rate-limit statement): no extra round trip
///   before the route runs, and a concurrent duplicate waits for that transaction and then finds the reservation.
///   The reservation expires at the invocation's deadline, so a crashed attempt frees the key then.
/// - A 2xx answer is stored — status, the envelope body byte for byte, and the headers that do not depend on the
///   request's `Origin` — for `IDEMPOTENCY_TTL_SECONDS` (default 86400). A retry with the same key and fingerprint
///   gets it back with `Idempotency-Replayed: true`, behind the rate limit like any call, and runs nothing; its
///   audit row has the outcome `replayed`.
/// - The same key with another method, path or body is `409 CONFLICT`, and so is a retry while the first call
///   still runs; neither reveals anything about the first call.
/// - A call that does not answer 2xx (validation, conflict, budget, failure) gives its reservation back, so the
///   key can be retried.
/// - The route's statements, the reservation and the stored answer commit in one transaction (`APIRoute.atomic`,
///   the default), so a change never commits without the answer its retry gets back — even when the connection or
///   the server goes away at the moment of the commit.
///
/// The key itself is neither logged nor audited (clients choose it; it may hold anything). The call's `request` log
/// line says what became of the answer in its `idempotency` field: `stored` (kept for retries), `replayed` (a stored
/// answer sent again) or `unstored` (nothing kept — the answer was not a 2xx, or storing it failed — so a retry runs
/// again). `Tests/e2e/test_idempotency.py` checks these values.
enum Idempotency {
    /// The request header, lower case.
    static let headerName = "idempotency-key"
    /// The header of a replayed answer.
    static let replayedHeader = "Idempotency-Replayed"
    /// The audit outcome of a replayed answer.
    static let replayedOutcome = "replayed"
    static let maxKeyBytes = 255
    static let defaultTTLSeconds = 86_400
    static let maxTTLSeconds = 7 * 86_400

    /// Reserves `$2` for organization `$1` (fingerprint `$3`, request id `$4`, for `$5` ms). Runs in a request's
    /// preamble, before the session sets the tenant, so the function sets it itself.
    static let begin = SQL("SELECT warden_idempotency_begin($1, $2, $3, $4, $5::bigint)")
    /// Stores the answer of request `$3` under key `$2`: status `$4`, envelope `$5`, headers `$6` (a JSON object),
    /// kept `$7` seconds.
    static let complete = SQL(
        """
        UPDATE idempotency_keys SET status = $4::int, response = $5, headers = $6, completed_at = now(),
            expires_at = now() + make_interval(secs => $7::int)
        WHERE organization_id = $1 AND key = $2 AND request_id = $3 AND status IS NULL
        """
    )
    /// The stored answer for key `$2` and fingerprint `$3`, if it is still valid.
    static let fetch = SQL(
        """
        SELECT status, response, headers FROM idempotency_keys
        WHERE organization_id = $1 AND key = $2 AND fingerprint = $3 AND status IS NOT NULL AND expires_at > now()
        """
    )
    /// Gives back the reservation of request `$3` on key `$2` (never a stored answer, never another request's).
    static let release = SQL(
        "DELETE FROM idempotency_keys WHERE organization_id = $1 AND key = $2 AND request_id = $3 AND status IS NULL"
    )

    static let invalidKey = EnvelopeError(.invalidInput, "Idempotency-Key must be 1 to 255 printable ASCII characters.")
    static let mismatch = EnvelopeError(.conflict, "This Idempotency-Key was already used with a different request.")
    static let inProgress = EnvelopeError(
        .conflict, "A request with this Idempotency-Key is still in progress; retry later."
    )

    /// `IDEMPOTENCY_TTL_SECONDS`: how long an answer is kept (1–604800, default 86400).
    static func ttlSeconds(_ environment: (String) -> String? = Platform.environment) throws(InitializationError) -> Int {
        guard let setting = environment("IDEMPOTENCY_TTL_SECONDS"), !setting.isEmpty else { return defaultTTLSeconds }
        guard let seconds = Int(setting), (1...maxTTLSeconds).contains(seconds) else {
            throw InitializationError(
                "Configuration error: IDEMPOTENCY_TTL_SECONDS must be an integer from 1 to \(maxTTLSeconds)"
            )
        }
        return seconds
    }

    /// The request's key: `nil` without the header; `INVALID_INPUT` when it is empty, longer than 255 bytes, holds
    /// anything but printable ASCII (0x20–0x7E), or arrives twice with different values.
    static func key(_ request: APIGatewayRequest) throws(EnvelopeError) -> String? {
        switch request.header(headerName) {
        case .absent:
            return nil
        case .conflict:
            throw invalidKey
        case .value(let value):
            let bytes = value.utf8
            guard (1...maxKeyBytes).contains(bytes.count), bytes.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) else {
                throw invalidKey
            }
            return value
        }
    }

    /// Hex SHA-256 of the method, the path (length-prefixed, so no path and body can run into each other) and the
    /// body bytes as received.
    static func fingerprint(_ request: APIGatewayRequest) -> String {
        var message = Array("\(request.method)\n\(request.path.utf8.count)\n\(request.path)\n".utf8)
        message += request.body ?? []
        return Crypto.hex(Crypto.sha256(message))
    }

    /// The headers of an answer that are stored with it: all but the CORS ones, which follow the retry's `Origin`.
    static func storable(_ headers: [(String, String)]) -> [(String, String)] {
        headers.filter { name, _ in
            let lower = name.lowercased()
            return !lower.hasPrefix("access-control-") && lower != "vary"
        }
    }

    /// `headers` as a JSON object, in order.
    static func encode(_ headers: [(String, String)]) -> String {
        var w = JSONWriter()
        w.beginObject()
        for (name, value) in headers {
            w.key(name)
            w.string(value)
        }
        w.endObject()
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// The stored headers (a JSON object of strings; anything else is ignored).
    static func decode(_ text: String?) -> [(String, String)] {
        guard let text, let object = (try? JSON.parse(Array(text.utf8), options: JSONParseOptions(maxDepth: 2)))?.objectValue
        else { return [] }
        return object.compactMap { member in member.value.stringValue.map { (member.key, $0) } }
    }

    /// `base` with `overrides` replacing headers of the same name (ASCII case-insensitively) or appended.
    static func merged(_ base: [(String, String)], _ overrides: [(String, String)]) -> [(String, String)] {
        var out = base
        for (name, value) in overrides {
            let lower = name.lowercased()
            if let i = out.firstIndex(where: { $0.0.lowercased() == lower }) {
                out[i] = (out[i].0, value)
            } else {
                out.append((name, value))
            }
        }
        return out
    }
}

/// The answer to a call with an `Idempotency-Key`.
struct IdempotentAnswer {
    var status: Int
    /// The envelope, byte for byte what the first call answered.
    var body: [UInt8]
    /// The answer's headers (the request's CORS headers, the stored ones, `Idempotency-Replayed` on a replay).
    var headers: [(String, String)]
    /// For the log line: `stored`, `replayed`, or `unstored` (a 2xx whose storing failed, or not a 2xx).
    var outcome: String
    /// What this call spent from the enrichment budget (a replay spends nothing).
    var budgetSpentCents: Int64 = 0

    var replayed: Bool { outcome == Idempotency.replayedOutcome }
}

extension APIChain {
    /// Runs a mutating route under an `Idempotency-Key` (see ``Idempotency``): reserves the key in front of the
    /// route's first statement, stores a 2xx answer, replays a stored one, refuses a mismatch or a call in progress
    /// with `409`, and gives the key back when the call fails. `headers`: the request's CORS and security headers.
    ///
    /// An `atomic` route runs in one transaction with its reservation and its stored answer (or the reservation's
    /// release, for an answer that is not 2xx): a change is never committed without the answer a retry will get,
    /// whatever fails when. A route that must not hold a transaction open (it calls other services between its
    /// statements) stores its answer in a transaction of its own after the route's; a failure between the two
    /// leaves the key reserved until the invocation's deadline.
    func idempotent(
        key: String, request: APIGatewayRequest, principal: Principal, context: LambdaContext, headers: [(String, String)],
        atomic: Bool, _ body: (TenantSession) throws -> RouteResponse
    ) throws -> IdempotentAnswer {
        let tenant = principal.tenant
        let fingerprint = Idempotency.fingerprint(request)
        let deadline = context.deadlineMilliseconds
        let reservation = max(1000, deadline - Platform.nowMilliseconds())
        let checks = guards.rateLimitStatements(tenant: tenant)
        let begin: (SQL, [PGValue]) = (
            Idempotency.begin,
            [.text(tenant.rawValue), .text(key), .text(fingerprint), .text(context.requestID), .int(reservation)]
        )
        let stored = Idempotency.storable(headers)
        /// The statement that ends the reservation with `response`: its answer stored, or the key given back.
        func closing(_ response: RouteResponse, envelope: [UInt8]) -> (SQL, [PGValue]) {
            guard (200..<300).contains(response.status) else { return (Idempotency.release, [.text(key), .text(context.requestID)]) }
            return (
                Idempotency.complete,
                [
                    .text(key), .text(context.requestID), .int(Int64(response.status)),
                    .text(String(decoding: envelope, as: UTF8.self)), .text(Idempotency.encode(stored)),
                    .int(Int64(idempotencyTTLSeconds)),
                ]
            )
        }
        let response: RouteResponse
        var envelope: [UInt8] = []
        do {
            database.prepend(checks + [begin])
            defer { database.discardPreamble() }
            if atomic {
                response = try database.withTransaction(tenant, deadline: deadline, body) { response in
                    envelope = ProxyResponse.successBody(data: response.data, meta: response.meta)
                    return [closing(response, envelope: envelope)]
                }
            } else {
                response = try database.withTenant(tenant, deadline: deadline, body)
                try database.flushPreamble(deadline: deadline - Database.deadlineReserveMilliseconds)
            }
        } catch let error as PostgresError {
            let now = Platform.nowMilliseconds()
            if let refused = RequestGuards.envelopeError(for: error, guardCount: checks.count, nowMilliseconds: now) {
                throw refused  // the batch rolled back: nothing reserved
            }
            if error.statementIndex == checks.count {
                switch error.sqlState {
                case "WR208": return try replay(key: key, fingerprint: fingerprint, principal: principal, context: context, headers: headers)
                case "WR409": throw Idempotency.mismatch
                case "WR425": throw Idempotency.inProgress
                default: break
                }
            }
            if !atomic { release(key: key, tenant: tenant, context: context) }
            throw error
        } catch {
            // Atomic: rolled back with everything else. Otherwise the reservation may have committed with one of
            // the route's statements before it failed.
            if !atomic { release(key: key, tenant: tenant, context: context) }
            throw error
        }
        let succeeded = (200..<300).contains(response.status)
        if atomic {
            return IdempotentAnswer(
                status: response.status, body: envelope, headers: headers, outcome: succeeded ? "stored" : "unstored",
                budgetSpentCents: response.budgetSpentCents
            )
        }
        envelope = ProxyResponse.successBody(data: response.data, meta: response.meta)
        guard succeeded else {
            release(key: key, tenant: tenant, context: context)
            return IdempotentAnswer(
                status: response.status, body: envelope, headers: headers, outcome: "unstored", budgetSpentCents: response.budgetSpentCents
            )
        }
        do {
            let (sql, binds) = closing(response, envelope: envelope)
            let result = try database.withTenant(tenant, deadline: deadline) { session in try session.query(sql, binds) }
            guard result.affectedRows == 1 else {
                context.logger.warning("idempotency reservation lost before the answer was stored")
                return IdempotentAnswer(
                status: response.status, body: envelope, headers: headers, outcome: "unstored", budgetSpentCents: response.budgetSpentCents
            )
            }
        } catch {
            // The change is committed: answer it. The reservation expires at the deadline.
            context.logger.error("idempotency answer not stored", metadata: ErrorMetadata.describe(error))
            return IdempotentAnswer(
                status: response.status, body: envelope, headers: headers, outcome: "unstored", budgetSpentCents: response.budgetSpentCents
            )
        }
        return IdempotentAnswer(
            status: response.status, body: envelope, headers: headers, outcome: "stored", budgetSpentCents: response.budgetSpentCents
        )
    }

    /// The stored answer for `key` and `fingerprint`, behind the tenant's rate limit.
    private func replay(
        key: String, fingerprint: String, principal: Principal, context: LambdaContext, headers: [(String, String)]
    ) throws -> IdempotentAnswer {
        let checks = guards.rateLimitStatements(tenant: principal.tenant)
        database.prepend(checks)
        defer { database.discardPreamble() }
        let rows: PGRows
        do {
            rows = try database.withTenant(principal.tenant, deadline: context.deadlineMilliseconds) { session in
                try session.query(Idempotency.fetch, [.text(key), .text(fingerprint)])
            }
        } catch let error as PostgresError {
            throw RequestGuards.envelopeError(for: error, guardCount: checks.count, nowMilliseconds: Platform.nowMilliseconds())
                ?? error
        }
        // Gone since the reservation was refused (expired that very moment): the caller may simply retry.
        guard let row = rows.first, row.count >= 3, let status = row[0].flatMap({ Int($0) }), let body = row[1] else {
            throw Idempotency.inProgress
        }
        let replayedHeaders = Idempotency.merged(headers, Idempotency.decode(row[2]) + [(Idempotency.replayedHeader, "true")])
        return IdempotentAnswer(status: status, body: Array(body.utf8), headers: replayedHeaders, outcome: Idempotency.replayedOutcome)
    }

    /// Gives back this request's reservation of `key` (best effort: it expires at the deadline anyway).
    private func release(key: String, tenant: TenantID, context: LambdaContext) {
        database.discardPreamble()
        do {
            _ = try database.withTenant(tenant, deadline: context.deadlineMilliseconds) { session in
                try session.query(Idempotency.release, [.text(key), .text(context.requestID)])
            }
        } catch {
            context.logger.warning("idempotency reservation not released", metadata: ErrorMetadata.describe(error))
        }
    }
}
