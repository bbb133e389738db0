public import LambdaRuntime
internal import Middleware
public import Postgres
public import WardenJSON

/// `generate_email`: a check-in e-mail from the customer's data; `MISSING_DATA` when nothing is known.
public struct GenerateEmail: CopilotTool {
    public static let name = "generate_email"

    public init() {}

    public func run(_ request: CopilotRequest, session: TenantSession, context: LambdaContext) throws -> JSON {
        let snapshot = try CustomerSnapshot.load(request.customerId, session: session)
        guard !snapshot.isUnknown else { throw EnvelopeError(.missingData, "No data is available for this customer.") }
        let email = EmailDraft(snapshot: snapshot, customerId: request.customerId)
        return ["subject": .string(email.subject), "body": .string(email.body)]
    }
}
