// Benchmark-only function: exactly the in-process middleware path the runtime-overhead target speaks of — event
// decode, CORS, signature check, validation, envelope and the request log line — with no database work (no
// replay record, rate-limit tokens or audit row, which `warden-bench-echo` measures). Never packaged or deployed.
import LambdaRuntime
import Middleware
import Platform
import WardenJSON

struct MiddlewareOnly: ByteHandler {
    let verifier: HMACVerification
    let cors: CORSPolicy

    mutating func handle(_ event: [UInt8], context: LambdaContext) throws -> [UInt8] {
        let started = Platform.monotonicNanoseconds()
        let request: APIGatewayRequest
        do {
            request = try APIGatewayRequest(event: event)
        } catch {
            return ProxyResponse.failure(error, headers: cors.headers(origin: nil))
        }
        let headers = cors.headers(origin: request.header("origin").value)
        let status: Int
        let response: [UInt8]
        do {
            let verified = try verifier.verify(request, nowMilliseconds: Platform.nowMilliseconds())
            let input = try CopilotRequest(body: request.body)
            status = 200
            response = ProxyResponse.success(
                data: ["customerId": .string(input.customerId), "client": .string(verified.clientID)], headers: headers
            )
        } catch {
            status = error.code.status
            response = ProxyResponse.failure(error, headers: headers)
        }
        context.logger.info("request", metadata: [
            "tool": "bench_middleware", "status": .stringConvertible(status),
            "durationUs": .stringConvertible((Platform.monotonicNanoseconds() &- started) / 1000),
        ])
        return response
    }
}

LambdaRuntime.run { _ in
    MiddlewareOnly(
        verifier: HMACVerification(secret: Array((Platform.environment("HMAC_SECRET") ?? "").utf8)),
        cors: CORSPolicy(allowedOriginSetting: Platform.environment("ALLOWED_ORIGIN"))
    )
}
