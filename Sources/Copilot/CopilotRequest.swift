internal import Bytes
public import Middleware
public import Postgres
public import WardenJSON

/// A validated copilot tool request: `{"customerId": "…", "params": {"ownerUserId": "…", …}}`.
public struct CopilotRequest: Sendable {
    /// The customer (company external id) the tool is about.
    public let customerId: String
    /// The tenant: `params.ownerUserId`, or `public` when absent or empty.
    public let tenant: TenantID
    /// All of `params` (extra keys are ignored by the tools).
    public let params: JSONObject

    /// Longest accepted `customerId`.
    public static let maxCustomerIdLength = 256

    /// Validates a body. Every failure is `INVALID_INPUT` with a message that echoes nothing from the input.
    public init(body: [UInt8]?) throws(EnvelopeError) {
        let object = try JSONBody.object(body, emptyMessage: "The request body is required.")
        guard case .string(let customerId)? = object["customerId"], !customerId.isEmpty else {
            throw EnvelopeError(.invalidInput, "customerId must be a non-empty string.")
        }
        guard customerId.utf8.count <= Self.maxCustomerIdLength, !customerId.utf8.contains(where: { $0.isASCIIControl }) else {
            throw EnvelopeError(.invalidInput, "customerId is not a valid identifier.")
        }
        var params = JSONObject()
        switch object["params"] {
        case nil: break
        case .object(let p)?: params = p
        default: throw EnvelopeError(.invalidInput, "params must be an object.")
        }
        var tenant = TenantID.publicTenant
        switch params["ownerUserId"] {
        case nil, .null?: break
        case .string(let owner)?:
            if !owner.isEmpty {
                guard let t = TenantID(owner) else { throw EnvelopeError(.invalidInput, "ownerUserId is not a valid identifier.") }
                tenant = t
            }
        default: throw EnvelopeError(.invalidInput, "ownerUserId must be a string.")
        }
        self.customerId = customerId
        self.tenant = tenant
        self.params = params
    }
}
