import Platform
import Postgres
import Secrets
import Synchronization
import Testing
import WardenJSON

@testable import LambdaRuntime
@testable import Middleware

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

/// `CopilotHandler` with `LAMBDA_TENANT_MATCH`: where the tenant check sits in the chain. The database URL points at
/// a closed port, so a request that passes the check fails on its first statement (`500 TOOL_FAILURE`), while one
/// refused by the check is answered `403 FORBIDDEN` without reaching the database (the audit row cannot be written
/// here either; tests/e2e/test_tenant_isolation.py checks it against Postgres).
@Suite struct CopilotHandlerTests {
    static let secret = "copilot-handler-test-secret"
    static let environment: @Sendable (String) -> String? = { name in
        switch name {
        case "HMAC_SECRET": secret
        case "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"
        default: nil
        }
    }

    static func handler(_ match: TenantMatch) throws -> CopilotHandler<CountingTool> {
        let configuration = try FunctionConfiguration.fromEnvironment(
            { ["LAMBDA_TENANT_MATCH": match.rawValue, "ALLOWED_ORIGIN": "https://app.example.com"][$0] }, allowMethods: "POST",
            allowHeaders: "Content-Type,X-Signature,X-Timestamp,X-Client", tenantRateLimitPerMinute: 0
        )
        #expect(configuration.tenantMatch == match)
        return try CopilotHandler(tool: CountingTool(), configuration: configuration, secrets: FunctionSecrets(environment: environment, warning: { _ in }))
    }

    /// A v1-signed event for `body`, signed now.
    static func signedEvent(_ body: String) -> [UInt8] {
        let ts = String(Platform.nowMilliseconds())
        let signature = HMACVerification(secret: Array(secret.utf8)).signature(timestamp: ts, client: "copilot-frontend", body: Array(body.utf8))
        return Fixtures.restEvent(headers: ["X-Timestamp": ts, "X-Client": "copilot-frontend", "X-Signature": signature], body: body)
    }

    static func context(tenantID: String?) -> LambdaContext {
        TenantMatchTests.context(tenantID: tenantID).withDeadline(Platform.nowMilliseconds() + 5000)
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
        var handler = try Self.handler(.required)
        // The signed tenant (ownerUserId, or public for a guest) against Lambda's tenant id.
        for (body, lambda) in [(Self.owner, "user_other"), (Self.owner, "public"), (Self.guest, "user_owner"), (Self.owner, nil)] as [(String, String?)] {
            let got = try Self.outcome(try handler.handle(Self.signedEvent(body), context: Self.context(tenantID: lambda)))
            #expect(got == Self.forbidden, "\(body) in \(lambda ?? "no tenant")")
        }
        // Refused before the tool was asked for its statements.
        #expect(handler.tool.runs.count.withLock { $0 } == 0)
        for (body, lambda) in [(Self.owner, "user_owner"), (Self.guest, "public")] {
            let got = try Self.outcome(try handler.handle(Self.signedEvent(body), context: Self.context(tenantID: lambda)))
            #expect(got == Self.reachedDatabase, "\(body) in \(lambda)")
        }
        #expect(handler.tool.runs.count.withLock { $0 } == 2)
    }

    @Test func authenticationAndValidationComeFirst() throws {
        var handler = try Self.handler(.required)
        // An unsigned request learns nothing about the tenant check: 401, as without the setting.
        let unsigned = Fixtures.restEvent(headers: [:], body: Self.owner)
        #expect(try Self.outcome(handler.handle(unsigned, context: Self.context(tenantID: "user_other"))).1 == "UNAUTHORIZED")
        let invalid = #"{"customerId":""}"#
        #expect(try Self.outcome(handler.handle(Self.signedEvent(invalid), context: Self.context(tenantID: "user_other"))).1 == "INVALID_INPUT")
    }

    @Test func offLeavesEveryTenantToTheTool() throws {
        var handler = try Self.handler(.off)
        for lambda in ["user_other", "public", nil] as [String?] {
            let got = try Self.outcome(try handler.handle(Self.signedEvent(Self.owner), context: Self.context(tenantID: lambda)))
            #expect(got == Self.reachedDatabase, "\(lambda ?? "no tenant")")
        }
    }

    @Test func preflightsAreAnsweredWhateverTheTenant() throws {
        // A preflight authenticates nobody and reads nothing: answered in either mode, with Lambda's tenant or none,
        // with the CORS headers of CONTRACTS.md §1.
        let preflight = Fixtures.restEvent(method: "OPTIONS", headers: ["Origin": "https://app.example.com"], body: nil)
        for match in TenantMatch.allCases {
            var handler = try Self.handler(match)
            for lambda in [nil, "user_other", "cors-preflight"] as [String?] {
                let out = try JSON.parse(try handler.handle(preflight, context: Self.context(tenantID: lambda)))
                #expect(out["statusCode"] == .int(204))
                #expect(out["headers"]?["Access-Control-Allow-Headers"]?.stringValue == "Content-Type,X-Signature,X-Timestamp,X-Client")
            }
        }
    }
}

extension LambdaContext {
    /// The same context with another deadline.
    func withDeadline(_ deadline: Int64) -> LambdaContext {
        LambdaContext(
            requestID: requestID, deadlineMilliseconds: deadline, invokedFunctionARN: invokedFunctionARN, traceID: traceID,
            clientContext: clientContext, cognitoIdentity: cognitoIdentity, tenantID: tenantID, logger: logger
        )
    }
}
