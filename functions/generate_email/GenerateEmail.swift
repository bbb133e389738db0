import Copilot
import LambdaRuntime
import Middleware
import Postgres
import WardenJSON

/// `generate_email`: a check-in e-mail from the customer's data; `MISSING_DATA` when nothing is known.
struct GenerateEmail: CopilotTool {
    static let name = "generate_email"

    func run(_ request: CopilotRequest, session: TenantSession, context: LambdaContext) throws -> JSON {
        let snapshot = try CustomerSnapshot.load(request.customerId, session: session)
        guard !snapshot.isUnknown else { throw EnvelopeError(.missingData, "No data is available for this customer.") }
        let email = EmailDraft(snapshot: snapshot, customerId: request.customerId)
        return ["subject": .string(email.subject), "body": .string(email.body)]
    }
}
