public import Auth
public import LambdaHTTP
public import Middleware
internal import Platform
public import Postgres
public import Secrets

/// Bearer JWTs for the participant API, as Supabase issues them: HS256 with the project's JWT secret
/// (`JWT_SECRET`), or RS256/ES256 with keys from a JWKS document — given inline (`JWT_JWKS`) or fetched from the
/// issuer's URL (`JWT_JWKS_URL`, see `RemoteKeySet` and `JWKSEndpoint`: cached `JWT_JWKS_TTL_SECONDS`, refetched for
/// an unknown `kid` at most once per `JWT_JWKS_COOLDOWN_SECONDS`); `JWT_ISSUER` and `JWT_AUDIENCE` are checked when
/// set; `exp`, `nbf` and `iat` with `JWT_CLOCK_LEEWAY_SECONDS` of clock skew (0–300, default 30). `sub` maps to the
/// user's organization through `organization_members`.
///
/// With `JWT_JWKS_URL` it holds the cached key set, so it belongs to the single-threaded invocation loop.
public struct JWTAuthenticator {
    public let verifier: JWTVerifier
    /// The issuer's key set behind `JWT_JWKS_URL`, when configured.
    let remoteKeys: RemoteKeySet?
    static let organization = SQL("SELECT warden_user_organization($1)")

    /// Default of `JWT_JWKS_TTL_SECONDS`: how long a fetched JWKS serves.
    public static let defaultJWKSTTLSeconds: Int64 = 600
    /// Default of `JWT_JWKS_COOLDOWN_SECONDS`: least time between two refetches for unknown key ids (or after a
    /// failed fetch).
    public static let defaultJWKSCooldownSeconds: Int64 = 30
    /// Longest wait for the JWKS URL within a request (less when the invocation has less time left).
    static let jwksTimeoutMilliseconds: Int64 = 2000

    public init(verifier: JWTVerifier) {
        self.verifier = verifier
        remoteKeys = nil
    }

    init(verifier: JWTVerifier, remoteKeys: RemoteKeySet?) {
        self.verifier = verifier
        self.remoteKeys = remoteKeys
    }

    /// Reads `JWT_SECRET`, `JWT_JWKS`, `JWT_JWKS_URL` (with `JWT_JWKS_TTL_SECONDS`, `JWT_JWKS_COOLDOWN_SECONDS`),
    /// `JWT_ISSUER`, `JWT_AUDIENCE`, `JWT_CLOCK_LEEWAY_SECONDS`. Throws when no key source is usable, when both
    /// `JWT_JWKS` and `JWT_JWKS_URL` are set, or when a setting is invalid (never falls back to a default). Nothing is
    /// fetched here: the JWKS URL is read when the first token needs it.
    public static func fromEnvironment(warning: @escaping (String) -> Void = FunctionSecrets.logWarning) throws(InitializationError) -> JWTAuthenticator {
        try fromEnvironment(Platform.environment, clock: FunctionSecrets.monotonicMilliseconds, warning: warning)
    }

    /// `fromEnvironment()` with the variables of `environment`, a clock and the warning sink.
    static func fromEnvironment(
        _ environment: (String) -> String?, clock: @escaping () -> Int64 = FunctionSecrets.monotonicMilliseconds,
        warning: @escaping (String) -> Void = FunctionSecrets.logWarning
    ) throws(InitializationError) -> JWTAuthenticator {
        let secret = environment("JWT_SECRET").flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        var keySet: JWKSet?
        if let jwks = environment("JWT_JWKS"), !jwks.isEmpty {
            do {
                keySet = try JWKSet(json: jwks)
            } catch {
                throw InitializationError("Configuration error: JWT_JWKS is not a valid JWKS document")
            }
        }
        var remoteKeys: RemoteKeySet?
        if let url = environment("JWT_JWKS_URL"), !url.isEmpty {
            guard keySet == nil else {
                throw InitializationError("Configuration error: set JWT_JWKS or JWT_JWKS_URL, not both")
            }
            let endpoint: JWKSEndpoint
            do {
                endpoint = try JWKSEndpoint(url: url)
            } catch {
                throw InitializationError("Configuration error: \(error.description)")
            }
            let policy = RemoteKeySet.Policy(
                ttlMilliseconds: try seconds(environment, "JWT_JWKS_TTL_SECONDS", default: defaultJWKSTTLSeconds, range: 1...86_400) * 1000,
                cooldownMilliseconds: try seconds(
                    environment, "JWT_JWKS_COOLDOWN_SECONDS", default: defaultJWKSCooldownSeconds, range: 1...3600
                ) * 1000
            )
            remoteKeys = RemoteKeySet(policy: policy, clock: clock, warning: warning) { timeout throws(RemoteKeySet.FetchError) in
                do throws(SecretsError) {
                    return try endpoint.fetch(timeoutMilliseconds: timeout)
                } catch {
                    throw RemoteKeySet.FetchError(reason: error.description)
                }
            }
        }
        let verifier = JWTVerifier(
            hmacSecret: secret, keySet: keySet, issuer: environment("JWT_ISSUER").flatMap { $0.isEmpty ? nil : $0 },
            audience: environment("JWT_AUDIENCE").flatMap { $0.isEmpty ? nil : $0 },
            leewaySeconds: try leewaySeconds(environment)
        )
        guard !verifier.allowedAlgorithms.isEmpty || remoteKeys != nil else {
            throw InitializationError("Configuration error: set JWT_SECRET (at least 32 bytes), JWT_JWKS or JWT_JWKS_URL")
        }
        return JWTAuthenticator(verifier: verifier, remoteKeys: remoteKeys)
    }

    /// A whole number of seconds within `range` from `variable` (unset or empty: `default`); anything else fails
    /// the initialization.
    static func seconds(
        _ environment: (String) -> String?, _ variable: String, default value: Int64, range: ClosedRange<Int64>
    ) throws(InitializationError) -> Int64 {
        guard let setting = environment(variable), !setting.isEmpty else { return value }
        guard setting.utf8.count <= 6, setting.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let seconds = Int64(setting),
            range.contains(seconds)
        else {
            throw InitializationError(
                "Configuration error: \(variable) must be a whole number of seconds from \(range.lowerBound) to \(range.upperBound)"
            )
        }
        return seconds
    }

    /// `JWT_CLOCK_LEEWAY_SECONDS`: the clock skew tolerated for `exp`, `nbf` and `iat` (0–300; unset or empty: 30).
    static func leewaySeconds(_ environment: (String) -> String?) throws(InitializationError) -> Int64 {
        guard let setting = environment("JWT_CLOCK_LEEWAY_SECONDS"), !setting.isEmpty else {
            return JWTVerifier.defaultLeewaySeconds
        }
        guard let seconds = JWTVerifier.leewaySeconds(setting: setting) else {
            let maximum = JWTVerifier.maximumLeewaySeconds
            throw InitializationError(
                "Configuration error: JWT_CLOCK_LEEWAY_SECONDS must be a whole number of seconds from 0 to \(maximum)"
            )
        }
        return seconds
    }

    /// Verifies the bearer token and finds the user's organization. Every token problem gets the same `401`.
    public func authenticate(_ request: HTTPRequest, database: Database, deadline: Int64) throws(EnvelopeError) -> UserPrincipal {
        let claims = try verifiedClaims(request, deadline: deadline)
        let rows: PGRows
        do {
            rows = try database.administrativeExecute(Self.organization, [.text(claims.subject)], deadline: deadline)
        } catch {
            throw EnvelopeError.toolFailure
        }
        guard let org = rows.first?.first ?? nil, let tenant = TenantID(org) else {
            throw EnvelopeError(.forbidden, "The user belongs to no organization.")
        }
        return UserPrincipal(subject: claims.subject, organization: tenant)
    }

    /// The claims of the request's bearer token once verified (signature, `exp`/`nbf`/`iat`, and `iss`/`aud` when
    /// configured); every token problem, a missing token included, is the same `401`.
    public func verifiedClaims(_ request: HTTPRequest, deadline: Int64) throws(EnvelopeError) -> JWTClaims {
        let refused = EnvelopeError(.unauthorized, "Missing, invalid or expired token.")
        guard case .value(let header) = request.header("authorization"), let token = JWTVerifier.bearerToken(authorizationHeader: header)
        else { throw refused }
        let claims: JWTClaims
        do {
            let now = Platform.nowMilliseconds()
            if let remoteKeys {
                // A fetch, if the key set needs one, must leave time for the rest of the call.
                let timeout = Int(max(1, min(Self.jwksTimeoutMilliseconds, deadline - now)))
                claims = try verifier.verify(token: token, nowSeconds: now / 1000) { algorithm, keyID in
                    remoteKeys.keys(for: algorithm, keyID: keyID, timeoutMilliseconds: timeout)
                }
            } else {
                claims = try verifier.verify(token: token, nowSeconds: now / 1000)
            }
        } catch {
            throw refused
        }
        return claims
    }
}
