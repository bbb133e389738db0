public import LambdaRuntime
public import Postgres
public import WardenJSON
internal import Secrets

/// One copilot tool's business logic. Everything else — authentication, validation, CORS, the envelope, error
/// mapping, logging — is the shared chain in `CopilotHandler`.
public protocol CopilotTool: Sendable {
    /// The tool's name, as in its route `POST /{name}`.
    static var name: String { get }
    /// Produces the envelope's `data` for a validated request, reading only through the tenant's session.
    /// Throw `EnvelopeError` for caller-visible outcomes such as `MISSING_DATA`.
    func run(_ request: CopilotRequest, session: TenantSession, context: LambdaContext) throws -> JSON
}

extension CopilotTool {
    /// Runs this tool as a Lambda function: reads configuration, then serves invocations forever.
    public static func main(_ tool: Self) -> Never {
        LambdaRuntime.run(shared: FunctionSecrets.forFunction) { secrets, _ in
            try CopilotHandler(tool: tool, configuration: .fromEnvironment(tenantRateLimitPerMinute: FunctionConfiguration.copilotTenantRateLimitPerMinute), secrets: secrets)
        }
    }
}
