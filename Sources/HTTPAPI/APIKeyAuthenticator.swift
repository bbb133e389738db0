internal import Bytes
internal import LambdaHTTP
public import Middleware
internal import Platform
public import Postgres
public import WardenCrypto

/// API keys for the B2B API: `Authorization: Bearer wk_<prefix>_<secret>` or `X-API-Key: wk_<prefix>_<secret>`.
/// Only SHA-256 of the whole key is stored; the public prefix finds the row; the hash is compared in constant time;
/// revocation is seen on the very next call because every call looks the key up.
public enum APIKeyAuthenticator {
    static let lookup = SQL("SELECT key_id, secret_hash, tenant, roles, revoked FROM warden_lookup_api_key($1)")

    /// A new key's parts: what the caller keeps (`key`) and what the database keeps (`prefix`, `hashHex`).
    public static func generate() throws(CryptoError) -> (key: String, prefix: String, hashHex: String) {
        let prefix = Hex.encode(try Crypto.randomBytes(6))
        let secret = Hex.encode(try Crypto.randomBytes(24))
        let key = "wk_\(prefix)_\(secret)"
        return (key, prefix, Hex.encode(Crypto.sha256(Array(key.utf8))))
    }

    /// The key presented by `request`, if any (`X-API-Key`, else a bearer token that looks like a key).
    static func presentedKey(_ request: HTTPRequest) throws(EnvelopeError) -> String? {
        switch request.header("x-api-key") {
        case .value(let v): return v
        case .conflict: throw EnvelopeError(.unauthorized, "Missing or ambiguous credentials.")
        case .absent: break
        }
        if case .value(let auth) = request.header("authorization"), auth.utf8.starts(with: "Bearer wk_".utf8) {
            return String(auth.dropFirst(7))
        }
        return nil
    }

    /// Splits `wk_<12 hex>_<48 hex>`; anything else is not a key.
    static func prefix(of key: String) -> String? {
        let parts = key.utf8.split(separator: 0x5F, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].elementsEqual("wk".utf8), parts[1].count == 12, parts[2].count == 48,
            (Array(parts[1]) + Array(parts[2])).allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        else { return nil }
        return String(decoding: parts[1], as: UTF8.self)
    }

    /// Verifies `key` against the database. Unknown, malformed, wrong and revoked keys all get the same `401`.
    public static func authenticate(_ key: String, database: Database, deadline: Int64) throws(EnvelopeError) -> APIKeyPrincipal {
        let refused = EnvelopeError(.unauthorized, "Invalid API key.")
        guard let prefix = prefix(of: key) else { throw refused }
        let rows: PGRows
        do {
            rows = try database.administrativeExecute(lookup, [.text(prefix)], deadline: deadline)
        } catch {
            throw EnvelopeError.toolFailure
        }
        let presented = Crypto.sha256(Array(key.utf8))
        typealias Stored = (id: String?, hash: String?, tenant: String?, roles: String?, revoked: Bool?)
        let stored: Stored?
        do {
            stored = try rows.decode { (row) throws(PostgresError) -> Stored in
                (try row.text(), try row.text(), try row.text(), try row.text(), try row.bool())
            }.first
        } catch {
            throw EnvelopeError.toolFailure
        }
        guard let stored, let id = stored.id, let hash = stored.hash.flatMap({ Hex.decode($0.utf8) }),
            let tenant = stored.tenant.flatMap(TenantID.init), Crypto.constantTimeEqual(presented, hash), stored.revoked == false
        else { throw refused }
        return APIKeyPrincipal(keyID: id, tenant: tenant, roles: parseTextArray(stored.roles ?? "{}"))
    }

    /// A `text[]` in PostgreSQL's output form with simple elements (role names: no quotes, commas or braces).
    static func parseTextArray(_ text: String) -> [String] {
        let inner = text.utf8.dropFirst().dropLast()
        return inner.split(separator: 0x2C).map { String(decoding: $0.filter { $0 != 0x22 }, as: UTF8.self) }
    }
}
