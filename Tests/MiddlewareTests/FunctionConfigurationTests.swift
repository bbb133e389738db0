import Testing

@testable import Middleware

/// `FunctionConfiguration.fromEnvironment`: `LAMBDA_TENANT_MATCH` beside the other settings.
@Suite struct FunctionConfigurationTests {
    static let headers = "Content-Type,X-Signature,X-Timestamp,X-Client"

    static func configuration(_ variables: [String: String]) throws(InitializationError) -> FunctionConfiguration {
        try FunctionConfiguration.fromEnvironment({ variables[$0] }, allowMethods: "POST", allowHeaders: headers, tenantRateLimitPerMinute: 600)
    }

    @Test func tenantMatchIsOffUnlessRequired() throws {
        let plain = try Self.configuration(["ALLOWED_ORIGIN": "https://app.example.com", "RATE_LIMIT_PER_MINUTE": "42"])
        #expect(plain.tenantMatch == .off && plain.cors.allowHeaders == Self.headers)
        #expect(try Self.configuration(["LAMBDA_TENANT_MATCH": "off"]).cors.allowHeaders == Self.headers)
        let required = try Self.configuration([
            "LAMBDA_TENANT_MATCH": "required", "ALLOWED_ORIGIN": "https://app.example.com", "RATE_LIMIT_PER_MINUTE": "42",
        ])
        #expect(required.tenantMatch == .required)
        // Nothing else moves with it: the CORS headers stay those of CONTRACTS.md §1 (the copilot's web server, not a
        // browser, sends the X-Tenant-Id header API Gateway maps to the tenant id).
        #expect(required.cors.allowHeaders == Self.headers)
        #expect(required.cors.allowedOrigins == plain.cors.allowedOrigins && required.cors.allowMethods == plain.cors.allowMethods)
        #expect(required.tenantRateLimitPerMinute == 42 && required.maxBodyBytes == plain.maxBodyBytes)
    }

    @Test func anInvalidTenantMatchFailsTheConfiguration() {
        #expect(throws: InitializationError.self) { try Self.configuration(["LAMBDA_TENANT_MATCH": "yes"]) }
    }
}
