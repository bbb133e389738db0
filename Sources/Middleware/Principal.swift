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

/// A user authenticated by a bearer JWT, and the organization that scopes the call.
public struct UserPrincipal: Sendable, Equatable {
    /// The token's `sub`: the user id.
    public let subject: String
    /// The user's organization (the tenant of every row the call may touch).
    public let organization: TenantID

    public init(subject: String, organization: TenantID) {
        self.subject = subject
        self.organization = organization
    }
}

/// An API key's identity after verification.
public struct APIKeyPrincipal: Sendable, Equatable {
    /// The key's row id (for audit).
    public let keyID: String
    /// The tenant (organization) the key belongs to.
    public let tenant: TenantID
    /// The roles the key grants.
    public let roles: [String]

    public init(keyID: String, tenant: TenantID, roles: [String]) {
        self.keyID = keyID
        self.tenant = tenant
        self.roles = roles
    }
}
