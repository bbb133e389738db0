public import LambdaRuntime
public import Postgres
internal import Logging
internal import Platform
internal import WardenJSON

/// The shared middleware chain for copilot tools, as a byte handler:
/// event → CORS preflight → method → body limit → HMAC (first) → validation → tool → envelope, with one JSON log
/// line per request and every error mapped to the envelope in one place.
public struct CopilotHandler<Tool: CopilotTool>: ByteHandler {
    let tool: Tool
    let configuration: FunctionConfiguration
    let verifier: HMACVerification
    let database: Database

    public init(tool: Tool, configuration: FunctionConfiguration, database: Database) {
        self.tool = tool
        self.configuration = configuration
        self.verifier = HMACVerification(secret: configuration.hmacSecret)
        self.database = database
    }

    public mutating func handle(_ event: [UInt8], context: LambdaContext) throws -> [UInt8] {
        let started = Platform.monotonicNanoseconds()
        let request: APIGatewayRequest
        do {
            request = try APIGatewayRequest(event: event)
        } catch {
            log(context, status: error.code.status, code: error.code, started: started)
            return ProxyResponse.failure(error, headers: configuration.cors.headers(origin: nil))
        }
        let headers = configuration.cors.headers(origin: request.header("origin").value)
        if request.method == "OPTIONS" {
            log(context, status: 204, code: nil, started: started)
            return ProxyResponse.empty(status: 204, headers: headers)
        }
        do {
            let data = try process(request, context: context)
            log(context, status: 200, code: nil, started: started)
            return ProxyResponse.success(data: data, headers: headers)
        } catch {
            let envelope = EnvelopeError.from(error)
            if envelope.code == .toolFailure {
                context.logger.error("tool failure", metadata: Self.describe(error))
            }
            log(context, status: envelope.code.status, code: envelope.code, started: started)
            return ProxyResponse.failure(envelope, headers: headers)
        }
    }

    private func process(_ request: APIGatewayRequest, context: LambdaContext) throws -> JSON {
        guard request.method == "POST" else { throw EnvelopeError(.methodNotAllowed, "Only POST is supported.") }
        if let body = request.body, body.count > configuration.maxBodyBytes {
            throw EnvelopeError(.payloadTooLarge, "The request body is too large.")
        }
        try verifier.verify(request, nowMilliseconds: Platform.nowMilliseconds())
        let input = try CopilotRequest(body: request.body)
        return try database.withTenant(input.tenant) { session in
            try tool.run(input, session: session, context: context)
        }
    }

    private func log(_ context: LambdaContext, status: Int, code: ErrorCode?, started: UInt64) {
        let micros = (Platform.monotonicNanoseconds() &- started) / 1000
        var metadata: [String: Logger.MetadataValue] = [
            "tool": .string(Tool.name), "status": .stringConvertible(status), "durationUs": .stringConvertible(micros),
        ]
        if let code { metadata["error.code"] = .string(code.rawValue) }
        context.logger.info("request", metadata: metadata)
    }

    /// What an operator may learn about an unexpected error: its category, never its message or data.
    static func describe(_ error: any Error) -> Logger.Metadata {
        if let db = error as? PostgresError {
            return ["error.kind": "database", "error.code": .string(db.code.rawValue), "error.sqlstate": .string(db.sqlState ?? "")]
        }
        return ["error.kind": .string(String(describing: type(of: error)))]
    }
}
