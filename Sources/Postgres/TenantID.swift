internal import Bytes

/// The tenant every data access is scoped to. The copilot's tenant is the Clerk user id of the owner (its
/// `owner_user_id` column); guests use `public`. No query API accepts a call without one.
public struct TenantID: Sendable, Hashable, CustomStringConvertible {
    /// The tenant's identifier as stored in the tables.
    public let rawValue: String

    /// The guest / demo tenant.
    public static let publicTenant = TenantID(unchecked: "public")

    /// Longest identifier accepted.
    public static let maxLength = 256

    /// Validates an identifier: non-empty, at most 256 bytes, no control characters.
    public init?(_ rawValue: String) {
        guard !rawValue.isEmpty, rawValue.utf8.count <= Self.maxLength,
            !rawValue.utf8.contains(where: { $0.isASCIIControl })
        else { return nil }
        self.rawValue = rawValue
    }

    private init(unchecked: String) { rawValue = unchecked }

    public var description: String { rawValue }
}
