public import LambdaRuntime
internal import Middleware
public import Postgres
public import WardenJSON

/// `generate_qbr_outline`: the sections of a quarterly business review, driven by trend and open tickets.
public struct GenerateQBROutline: CopilotTool {
    public static let name = "generate_qbr_outline"

    public init() {}

    public func run(_ request: CopilotRequest, session: TenantSession, context: LambdaContext) throws -> JSON {
        let snapshot = try CustomerSnapshot.load(request.customerId, session: session)
        return ["sections": .array(QBROutline(snapshot: snapshot).sections.map { .string($0) })]
    }
}
