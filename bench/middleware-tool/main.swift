// Benchmark-only function: exactly the in-process part of a copilot tool's pipeline — event decode, origin/CORS,
// request shape, HMAC signature, validation, envelope, the request log line and metric — with no database work (no
// replay record, rate-limit tokens or audit row, which `warden-bench-echo` measures). Never packaged or deployed.
import Copilot
import LambdaHTTP
import LambdaRuntime
import Middleware
import Secrets
import WardenJSON

/// Answers the validated request without a database.
final class EchoResponder: Responder {
    func respond(to request: HTTPRequest, context: inout RequestContext) throws -> HTTPResponse {
        let input = try context.input(as: CopilotRequest.self)
        let client = context.client?.clientID ?? ""
        return .success(data: ["customerId": .string(input.customerId), "client": .string(client)], headers: context.responseHeaders)
    }
}

LambdaRuntime.run(shared: FunctionSecrets.forFunction) { secrets, _ in
    let settings = try FunctionConfiguration.fromEnvironment()
    return Pipeline(
        [
            MetricsMiddleware(function: "bench_middleware", nameKey: "tool", logsPreflight: true),
            EnvelopeMiddleware(failureMessage: "tool failure"),
            OriginMiddleware(cors: settings.cors),
            RequestShapeMiddleware(method: "POST", maxBodyBytes: settings.maxBodyBytes),
            try HMACAuthenticationMiddleware(secrets: secrets),
            CopilotRequestMiddleware(),
        ],
        responder: EchoResponder(), database: nil
    )
}
