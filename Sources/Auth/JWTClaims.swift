public import WardenJSON

/// The claims of a verified token.
///
/// Its `description`, `debugDescription` and mirror show only non-personal fields: never log `email` or `raw`
/// yourself either.
public struct JWTClaims: Sendable, Hashable {
    /// `sub`: the authenticated user (non-empty).
    public var subject: String
    /// `iss`, when present.
    public var issuer: String?
    /// `aud`, as a list (a single string becomes one element; empty when absent).
    public var audience: [String]
    /// `exp`, in seconds since the epoch (a fractional value is rounded down).
    public var expiresAt: Int64
    /// `iat`, when present (a fractional value is rounded up).
    public var issuedAt: Int64?
    /// `nbf`, when present (a fractional value is rounded up).
    public var notBefore: Int64?
    /// `role` (Supabase: `authenticated`, `anon`, `service_role`), when present.
    public var role: String?
    /// `email`, when present. Personal data: keep it out of logs.
    public var email: String?
    /// The algorithm the token was signed with.
    public var algorithm: JWTAlgorithm
    /// The header's `kid`, when present.
    public var keyID: String?
    /// Every claim of the payload, as received.
    public var raw: JSONObject

    /// Creates claims.
    public init(
        subject: String, issuer: String?, audience: [String], expiresAt: Int64, issuedAt: Int64?, notBefore: Int64?,
        role: String?, email: String?, algorithm: JWTAlgorithm, keyID: String?, raw: JSONObject
    ) {
        self.subject = subject
        self.issuer = issuer
        self.audience = audience
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.notBefore = notBefore
        self.role = role
        self.email = email
        self.algorithm = algorithm
        self.keyID = keyID
        self.raw = raw
    }
}

extension JWTClaims: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Algorithm, role and expiry only: no subject, e-mail or other claim.
    public var description: String {
        "JWTClaims(alg: \(algorithm.rawValue), role: \(role ?? "-"), exp: \(expiresAt))"
    }

    /// Same as `description`.
    public var debugDescription: String { description }

    /// A mirror with the same non-personal fields as `description`, so `dump` leaks nothing either.
    public var customMirror: Mirror {
        Mirror(self, children: ["algorithm": algorithm, "role": role as Any, "expiresAt": expiresAt], displayStyle: .struct)
    }
}
