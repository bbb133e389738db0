public import Auth
internal import Platform
public import Postgres

/// A user authenticated by a bearer JWT, and the organization that scopes the call.
public struct UserPrincipal: Sendable, Equatable {
    /// The token's `sub`: the user id.
    public let subject: String
    /// The user's organization (the tenant of every row the call may touch).
    public let organization: TenantID
}

/// Bearer JWTs for the participant API, as Supabase issues them: HS256 with the project's JWT secret
/// (`JWT_SECRET`), or RS256/ES256 with keys from a JWKS document (`JWT_JWKS`); `JWT_ISSUER` and `JWT_AUDIENCE`
/// are checked when set; `exp`, `nbf` and `iat` with `JWT_CLOCK_LEEWAY_SECONDS` of clock skew (0–300, default 30).
/// `sub` maps to the user's organization through `organization_members`.
public struct JWTAuthenticator: Sendable {
    public let verifier: JWTVerifier
    static let organization = SQL("SELECT warden_user_organization($1)")

    public init(verifier: JWTVerifier) { self.verifier = verifier }

    /// Reads `JWT_SECRET`, `JWT_JWKS`, `JWT_ISSUER`, `JWT_AUDIENCE`, `JWT_CLOCK_LEEWAY_SECONDS`. Throws when
    /// neither key source is usable, or when a setting is invalid (never falls back to a default).
    public static func fromEnvironment() throws(InitializationError) -> JWTAuthenticator {
        try fromEnvironment(Platform.environment)
    }

    /// `fromEnvironment()` with the variables of `environment`.
    static func fromEnvironment(_ environment: (String) -> String?) throws(InitializationError) -> JWTAuthenticator {
        let secret = environment("JWT_SECRET").flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        var keySet: JWKSet?
        if let jwks = environment("JWT_JWKS"), !jwks.isEmpty {
            do {
                keySet = try JWKSet(json: jwks)
            } catch {
                throw InitializationError("Configuration error: JWT_JWKS is not a valid JWKS document")
            }
        }
        let verifier = JWTVerifier(
            hmacSecret: secret, keySet: keySet, issuer: environment("JWT_ISSUER").flatMap { $0.isEmpty ? nil : $0 },
            audience: environment("JWT_AUDIENCE").flatMap { $0.isEmpty ? nil : $0 },
            leewaySeconds: try leewaySeconds(environment)
        )
        guard !verifier.allowedAlgorithms.isEmpty else {
            throw InitializationError("Configuration error: set JWT_SECRET (at least 32 bytes) or JWT_JWKS")
        }
        return JWTAuthenticator(verifier: verifier)
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
    public func authenticate(_ request: APIGatewayRequest, database: Database, deadline: Int64) throws(EnvelopeError) -> UserPrincipal {
        let refused = EnvelopeError(.unauthorized, "Missing, invalid or expired token.")
        guard case .value(let header) = request.header("authorization"), let token = JWTVerifier.bearerToken(authorizationHeader: header)
        else { throw refused }
        let claims: JWTClaims
        do {
            claims = try verifier.verify(token: token, nowSeconds: Platform.nowMilliseconds() / 1000)
        } catch {
            throw refused
        }
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
}
