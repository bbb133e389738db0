import Copilot
import LambdaRuntime
import Middleware
import Postgres
import WardenJSON

/// `generate_qbr_outline`: the sections of a quarterly business review, driven by trend and open tickets.
struct GenerateQBROutline: CopilotTool {
    static let name = "generate_qbr_outline"

    func run(_ request: CopilotRequest, session: TenantSession, context: LambdaContext) throws -> JSON {
        let snapshot = try CustomerSnapshot.load(request.customerId, session: session)
        return ["sections": .array(QBROutline(snapshot: snapshot).sections.map { .string($0) })]
    }
}
