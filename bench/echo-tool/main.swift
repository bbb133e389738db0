// Benchmark-only function: the full copilot middleware path (event decode, HMAC check, validation, envelope,
// log line) around a tool that answers a constant without touching the database. Never packaged or deployed.
import LambdaRuntime
import Copilot
import Postgres
import WardenJSON

struct EchoTool: CopilotTool {
    static let name = "bench_echo"

    func run(_ request: CopilotRequest, session: TenantSession, context: LambdaContext) throws -> JSON {
        ["customerId": .string(request.customerId), "tenant": .string(session.tenant.rawValue)]
    }
}

EchoTool.main(EchoTool())
