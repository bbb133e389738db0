public import Postgres

/// Who is calling an HTTP API route, once authenticated.
public enum Principal: Sendable, Equatable {
    case user(UserPrincipal)
    case apiKey(APIKeyPrincipal)

    /// The tenant (organization) the call is scoped to.
    public var tenant: TenantID {
        switch self {
        case .user(let u): u.organization
        case .apiKey(let k): k.tenant
        }
    }

    /// The id recorded in the audit trail (the user id or the key's row id; never a token or a key).
    public var auditID: String {
        switch self {
        case .user(let u): "user:\(u.subject)"
        case .apiKey(let k): "key:\(k.keyID)"
        }
    }
}
