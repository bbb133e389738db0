internal import Bytes
internal import Platform
public import Postgres

/// The database-side checks that run atomically in front of a tool's first statement: the replay record and the
/// rate-limit tokens. If either refuses, the tool's statements never run and nothing commits.
public struct RequestGuards: Sendable {
    let tenantLimitPerMinute: Int
    let clientLimitPerMinute: Int

    static let recordNonce = SQL("INSERT INTO request_nonces (key, expires_at) VALUES ($1, now() + interval '10 minutes')")
    static let takeTokens = SQL("SELECT * FROM warden_take_tokens($1::text[], $2::float8[], $3::float8[])")
    static let sweepNonces = SQL(
        "DELETE FROM request_nonces WHERE key IN (SELECT key FROM request_nonces WHERE expires_at < now() LIMIT 500)"
    )

    public init(tenantLimitPerMinute: Int, clientLimitPerMinute: Int) {
        self.tenantLimitPerMinute = tenantLimitPerMinute
        self.clientLimitPerMinute = clientLimitPerMinute
    }

    /// The tenant's rate-limit statement alone (for callers without a replay record: JWT and API-key routes).
    public func rateLimitStatements(tenant: TenantID) -> [(SQL, [PGValue])] {
        guard tenantLimitPerMinute > 0 else { return [] }
        let limit = Double(tenantLimitPerMinute)
        return [(Self.takeTokens, [.textArray(["tenant:\(tenant.rawValue)"]), .doubleArray([limit]), .doubleArray([limit / 60])])]
    }

    /// A token bucket of its own (`key`, e.g. `mcp:<subject>`) holding `perMinute` tokens and refilled at that rate:
    /// one token taken by `warden_take_tokens`, refused with `WR429` like the tenant's (see `envelopeError`).
    public static func bucketStatement(key: String, perMinute: Int) -> (SQL, [PGValue]) {
        let limit = Double(perMinute)
        return (takeTokens, [.textArray([key]), .doubleArray([limit]), .doubleArray([limit / 60])])
    }

    /// The statements for one verified request of `tenant` to `function` (its replay record is scoped by
    /// `VerifiedRequest.replayKey(function:)`); `sweep` adds a bounded clean-up of expired nonces.
    public func statements(for request: VerifiedRequest, function: String, tenant: TenantID, sweep: Bool) -> [(SQL, [PGValue])] {
        var out: [(SQL, [PGValue])] = [(Self.recordNonce, [.text(request.replayKey(function: function))])]
        var keys: [String] = [], capacities: [Double] = [], rates: [Double] = []
        if tenantLimitPerMinute > 0 {
            keys.append("tenant:\(tenant.rawValue)")
            capacities.append(Double(tenantLimitPerMinute))
            rates.append(Double(tenantLimitPerMinute) / 60)
        }
        if clientLimitPerMinute > 0 {
            keys.append("client:\(request.clientID)")
            capacities.append(Double(clientLimitPerMinute))
            rates.append(Double(clientLimitPerMinute) / 60)
        }
        if !keys.isEmpty { out.append((Self.takeTokens, [.textArray(keys), .doubleArray(capacities), .doubleArray(rates)])) }
        if sweep { out.append((Self.sweepNonces, [])) }
        return out
    }

    static let acquireSlot = SQL("SELECT warden_acquire_slot($1, $2, $3::int, $4::bigint)")
    static let releaseSlot = SQL("SELECT warden_release_slot($1, $2)")

    /// Takes one of `limit` concurrency slots of `tenant` for `requestID` until `deadline`, in its own committed
    /// transaction (other instances must see it while this request runs). Throws `TOO_MANY_CONCURRENT_REQUESTS`.
    public static func acquireSlot(
        _ database: Database, tenant: TenantID, requestID: String, limit: Int, deadline: Int64
    ) throws(EnvelopeError) {
        let ttl = max(1000, deadline - Platform.nowMilliseconds())
        do {
            _ = try database.administrativeExecute(
                acquireSlot, [.text(tenant.rawValue), .text(requestID), .int(Int64(limit)), .int(ttl)], deadline: deadline
            )
        } catch where error.sqlState == "WR430" {
            throw EnvelopeError(.tooManyConcurrent, "Too many requests in progress for this organization; retry shortly.",
                                rateLimit: RateLimitInfo(limit: limit, remaining: 0, resetAtMilliseconds: Platform.nowMilliseconds() + 1000, retryAfterSeconds: 1))
        } catch {
            throw EnvelopeError.toolFailure
        }
    }

    /// Gives the slot back (best effort: it expires at the deadline anyway).
    public static func releaseSlot(_ database: Database, tenant: TenantID, requestID: String, deadline: Int64) {
        _ = try? database.administrativeExecute(releaseSlot, [.text(tenant.rawValue), .text(requestID)], deadline: deadline)
    }

    /// The caller-visible meaning of a guard's failure, or `nil` when `error` is not one.
    public static func envelopeError(for error: PostgresError, guardCount: Int, nowMilliseconds: Int64) -> EnvelopeError? {
        guard let index = error.statementIndex, index < guardCount else { return nil }
        switch error.sqlState {
        case "23505":
            return EnvelopeError(.unauthorized, "This request was already received.")
        case "WR429":
            let retryMs = number(after: "retry_after_ms=", in: error.detail) ?? 1000
            let limit = number(after: "limit=", in: error.detail) ?? 0
            return EnvelopeError(
                .rateLimited, "Too many requests; retry later.",
                rateLimit: RateLimitInfo(
                    limit: Int(limit), remaining: 0, resetAtMilliseconds: nowMilliseconds + retryMs,
                    retryAfterSeconds: Int((retryMs + 999) / 1000)
                )
            )
        default:
            return nil
        }
    }

    /// The decimal number following `label` in `text` (our own function's message), if any.
    private static func number(after label: String, in text: String) -> Int64? {
        guard let found = text.utf8.firstRange(ofBytes: label.utf8) else { return nil }
        let digits = text.utf8[found.upperBound...].prefix { $0 >= 0x30 && $0 <= 0x39 }
        return Int64(String(decoding: digits, as: UTF8.self))
    }
}
