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

    @Test(arguments: ["MAX_BODY_BYTES", "RATE_LIMIT_PER_MINUTE", "CLIENT_RATE_LIMIT_PER_MINUTE", "CONCURRENCY_LIMIT"])
    func anInvalidNumberFailsTheConfiguration(name: String) throws {
        for bad in ["abc", "-1", "1.5", " 7", "9999999999999999999999"] {
            #expect(throws: InitializationError.self, "\(name)=\(bad)") { try Self.configuration([name: bad]) }
        }
        // Unset or empty: the default.
        let defaults = try Self.configuration([:])
        #expect(try Self.configuration([name: ""]).maxBodyBytes == defaults.maxBodyBytes)
        #expect(defaults.maxBodyBytes == 256 * 1024 && defaults.tenantRateLimitPerMinute == 600 && defaults.concurrencyLimit == 0)
    }

    @Test func zeroTurnsALimitOffButNoBodyIsNotAnOption() throws {
        let off = try Self.configuration(["RATE_LIMIT_PER_MINUTE": "0", "CLIENT_RATE_LIMIT_PER_MINUTE": "0", "CONCURRENCY_LIMIT": "0"])
        #expect(off.tenantRateLimitPerMinute == 0 && off.clientRateLimitPerMinute == 0 && off.concurrencyLimit == 0)
        #expect(try Self.configuration(["MAX_BODY_BYTES": "1"]).maxBodyBytes == 1)
        #expect(throws: InitializationError.self) { try Self.configuration(["MAX_BODY_BYTES": "0"]) }
    }
}
