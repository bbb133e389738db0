public import LambdaRuntime
internal import Middleware
public import Postgres
public import WardenJSON

/// `get_contract_info`: the renewal date (`YYYY-MM-DDTHH:MM:SS`, UTC) and the annual recurring revenue.
public struct GetContractInfo: CopilotTool {
    public static let name = "get_contract_info"

    public init() {}

    public func run(_ request: CopilotRequest, session: TenantSession, context: LambdaContext) throws -> JSON {
        let contract = try CustomerSnapshot.load(request.customerId, session: session).contract
        return [
            "renewalDate": contract?.renewalDate.map { .string($0) } ?? .null,
            "arr": .int(Int64(contract?.arr ?? 0)),
            "missingData": .bool(contract == nil),
        ]
    }
}
