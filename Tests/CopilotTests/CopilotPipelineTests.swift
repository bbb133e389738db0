import Copilot
import LambdaRuntime
import Logging
import Middleware
import Platform
import Postgres
import Secrets
import Synchronization
import Testing
import WardenJSON

/// A copilot tool that counts its runs (its statements then fail: the database is unreachable).
struct CountingTool: CopilotTool {
    final class Runs: Sendable {
        let count = Mutex(0)
    }

    static let name = "counting_tool"
    let runs = Runs()

    func run(_ request: CopilotRequest, session: TenantSession, context: LambdaContext) throws -> JSON {
        runs.count.withLock { $0 += 1 }
        return ["tenant": .string(request.tenant.rawValue)]
    }
}

/// A copilot tool's pipeline (`CopilotTool.pipeline`) with `LAMBDA_TENANT_MATCH`: where the tenant check sits. The
/// database URL points at a closed port, so a request that passes the check fails on its first statement (`500
/// TOOL_FAILURE`), while one refused by the check is answered `403 FORBIDDEN` without reaching the database (the
/// audit row cannot be written here either; Tests/e2e/test_tenant_isolation.py checks it against Postgres).
@Suite struct CopilotPipelineTests {
    static let secret = "copilot-handler-test-secret"
    static let environment: @Sendable (String) -> String? = { name in
        switch name {
        case "HMAC_SECRET": secret
        case "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"
        default: nil
        }
    }

    static func pipeline(_ match: TenantMatch, tool: CountingTool) throws -> Pipeline {
        let settings = FunctionConfiguration(
            cors: CORSPolicy(allowedOrigins: ["https://app.example.com"]), tenantRateLimitPerMinute: 0, tenantMatch: match
        )
        return try CountingTool.pipeline(tool, settings: settings, secrets: FunctionSecrets(environment: environment, warning: { _ in }))
    }

    /// A REST (payload 1.0) event.
    static func event(method: String = "POST", headers: [String: String], body: String?) -> [UInt8] {
        let headerObject = JSONObject(headers.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) })
        let event: JSON = [
            "resource": "/counting_tool", "path": "/counting_tool", "httpMethod": .string(method),
            "requestContext": ["requestId": "gw-1", "stage": "prod"], "isBase64Encoded": false,
            "headers": .object(headerObject), "body": body.map { .string($0) } ?? .null,
        ]
        return event.serialized()
    }

    /// A v1-signed event for `body`, signed now.
    static func signedEvent(_ body: String) -> [UInt8] {
        let ts = String(Platform.nowMilliseconds())
        let signature = HMACVerification(secret: Array(secret.utf8)).signature(timestamp: ts, client: "copilot-frontend", body: Array(body.utf8))
        return event(headers: ["X-Timestamp": ts, "X-Client": "copilot-frontend", "X-Signature": signature], body: body)
    }

    static func context(tenantID: String?) -> LambdaContext {
        LambdaContext(
            requestID: "req-1", deadlineMilliseconds: Platform.nowMilliseconds() + 5000,
            invokedFunctionARN: "arn:aws:lambda:eu-central-1:1:function:f", tenantID: tenantID,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
    }

    /// Status, error code (nil on success) and message of a proxy response.
    static func outcome(_ response: [UInt8]) throws -> (Int?, String?, String?) {
        let out = try JSON.parse(response)
        let body = try JSON.parse(try #require(out["body"]?.stringValue))
        return (out["statusCode"]?.intValue, body["error"]?["code"]?.stringValue, body["error"]?["message"]?.stringValue)
    }

    static let owner = #"{"customerId":"acme","params":{"ownerUserId":"user_owner"}}"#
    static let guest = #"{"customerId":"acme"}"#
    static let forbidden = (403, "FORBIDDEN", "This request may not be served here.")
    static let reachedDatabase = (500, "TOOL_FAILURE", "The tool failed to complete the request.")

    @Test func requiredRefusesAnotherTenantBeforeTheDatabase() throws {
        let tool = CountingTool()
        var pipeline = try Self.pipeline(.required, tool: tool)
        // The signed tenant (ownerUserId, or public for a guest) against Lambda's tenant id.
        for (body, lambda) in [(Self.owner, "user_other"), (Self.owner, "public"), (Self.guest, "user_owner"), (Self.owner, nil)] as [(String, String?)] {
            let got = try Self.outcome(try pipeline.handle(Self.signedEvent(body), context: Self.context(tenantID: lambda)))
            #expect(got == Self.forbidden, "\(body) in \(lambda ?? "no tenant")")
        }
        // Refused before the tool was asked for its statements.
        #expect(tool.runs.count.withLock { $0 } == 0)
        for (body, lambda) in [(Self.owner, "user_owner"), (Self.guest, "public")] {
            let got = try Self.outcome(try pipeline.handle(Self.signedEvent(body), context: Self.context(tenantID: lambda)))
            #expect(got == Self.reachedDatabase, "\(body) in \(lambda)")
        }
        #expect(tool.runs.count.withLock { $0 } == 2)
    }

    @Test func authenticationAndValidationComeFirst() throws {
        var pipeline = try Self.pipeline(.required, tool: CountingTool())
        // An unsigned request learns nothing about the tenant check: 401, as without the setting.
        let unsigned = Self.event(headers: [:], body: Self.owner)
        #expect(try Self.outcome(pipeline.handle(unsigned, context: Self.context(tenantID: "user_other"))).1 == "UNAUTHORIZED")
        let invalid = #"{"customerId":""}"#
        #expect(try Self.outcome(pipeline.handle(Self.signedEvent(invalid), context: Self.context(tenantID: "user_other"))).1 == "INVALID_INPUT")
    }

    @Test func offLeavesEveryTenantToTheTool() throws {
        var pipeline = try Self.pipeline(.off, tool: CountingTool())
        for lambda in ["user_other", "public", nil] as [String?] {
            let got = try Self.outcome(try pipeline.handle(Self.signedEvent(Self.owner), context: Self.context(tenantID: lambda)))
            #expect(got == Self.reachedDatabase, "\(lambda ?? "no tenant")")
        }
    }

    @Test func preflightsAreAnsweredWhateverTheTenant() throws {
        // A preflight authenticates nobody and reads nothing: answered in either mode, with Lambda's tenant or none,
        // with the CORS headers of CONTRACTS.md §1.
        let preflight = Self.event(method: "OPTIONS", headers: ["Origin": "https://app.example.com"], body: nil)
        for match in TenantMatch.allCases {
            var pipeline = try Self.pipeline(match, tool: CountingTool())
            for lambda in [nil, "user_other", "cors-preflight"] as [String?] {
                let out = try JSON.parse(try pipeline.handle(preflight, context: Self.context(tenantID: lambda)))
                #expect(out["statusCode"] == .int(204))
                #expect(out["headers"]?["Access-Control-Allow-Headers"]?.stringValue == "Content-Type,X-Signature,X-Timestamp,X-Client")
            }
        }
    }

    @Test func invalidEventsAndForeignOriginsAreRefusedWithEnvelopes() throws {
        var pipeline = try Self.pipeline(.off, tool: CountingTool())
        let notAnEvent = try Self.outcome(try pipeline.handle(Array(#"{"hello":"world"}"#.utf8), context: Self.context(tenantID: nil)))
        #expect(notAnEvent == (400, "INVALID_INPUT", "The request is not a valid API request."))
        let foreign = Self.event(headers: ["Origin": "https://evil.example.com"], body: Self.owner)
        #expect(try Self.outcome(pipeline.handle(foreign, context: Self.context(tenantID: nil))) == (403, "FORBIDDEN", "This origin is not allowed."))
        let get = Self.event(method: "GET", headers: [:], body: nil)
        #expect(try Self.outcome(pipeline.handle(get, context: Self.context(tenantID: nil))).1 == "METHOD_NOT_ALLOWED")
    }
}
