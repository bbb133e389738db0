internal import Bytes
internal import Middleware
internal import LambdaHTTP
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
    static let replayedOutcome = RequestEnd.replayed
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
    static func key(_ request: HTTPRequest) throws(EnvelopeError) -> String? {
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
    static func fingerprint(_ request: HTTPRequest) -> String {
        var message = Array("\(request.method)\n\(request.path.utf8.count)\n\(request.path)\n".utf8)
        message += request.body ?? []
        return Hex.encode(Crypto.sha256(message))
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
