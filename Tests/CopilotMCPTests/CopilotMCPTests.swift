import LambdaHTTP
import Middleware
import Testing

@testable import CopilotMCP

@Suite struct MCPSettingsTests {
    func settings(_ values: [String: String]) throws(InitializationError) -> MCPSettings {
        try MCPSettings.fromEnvironment { values[$0] }
    }

    @Test func defaultsAndValues() throws {
        let none = try settings([:])
        #expect(none == MCPSettings(resourceURL: nil, authorizationServers: [], allowGuests: false, toolCallsPerMinute: 60))
        let all = try settings([
            "MCP_RESOURCE_URL": "https://api.example/prod/mcp", "MCP_STAGE": "prod", "MCP_ALLOW_GUESTS": "true",
            "MCP_TOOL_CALLS_PER_MINUTE": "0", "MCP_AUTHORIZATION_SERVERS": "https://a.example, https://b.example",
        ])
        #expect(all.resourceURL == "https://api.example/prod/mcp" && all.stage == "prod" && all.allowGuests)
        #expect(all.toolCallsPerMinute == 0 && all.authorizationServers == ["https://a.example", "https://b.example"])
        #expect(try settings(["JWT_ISSUER": "https://issuer.example/auth/v1"]).authorizationServers == ["https://issuer.example/auth/v1"])
    }

    @Test(arguments: [
        ["MCP_RESOURCE_URL": "ftp://x"], ["MCP_RESOURCE_URL": "https://a b"], ["MCP_ALLOW_GUESTS": "yes"],
        ["MCP_TOOL_CALLS_PER_MINUTE": "-1"], ["MCP_TOOL_CALLS_PER_MINUTE": "ten"], ["MCP_STAGE": "pr/od"],
        ["MCP_AUTHORIZATION_SERVERS": "issuer"],
    ])
    func anInvalidSettingFailsNamingItNeverItsValue(_ values: [String: String]) throws {
        let error = try #require(throws: InitializationError.self) { try settings(values) }
        let (name, value) = try #require(values.first)
        #expect(error.message.contains(name))
        #expect(!error.message.contains(value))
    }
}

@Suite struct ProtectedResourceTests {
    func request(_ headers: [(String, String)]) -> HTTPRequest {
        HTTPRequest(method: "POST", path: "/mcp", headerFields: headers.map { HTTPRequest.HeaderField(name: $0.0, value: $0.1) })
    }

    @Test func theConfiguredURLAndItsMetadata() {
        let resource = ProtectedResource(
            settings: MCPSettings(resourceURL: "https://api.example/prod/mcp", authorizationServers: ["https://issuer.example"], allowGuests: false, toolCallsPerMinute: 1)
        )
        let anonymous = request([("Host", "other.example")])
        #expect(resource.metadataURL(for: anonymous) == "https://api.example/prod/.well-known/oauth-protected-resource")
        #expect(resource.challenge(for: anonymous) == #"Bearer resource_metadata="https://api.example/prod/.well-known/oauth-protected-resource""#)
        #expect(resource.challenge(for: request([("Authorization", "Bearer x")])).hasSuffix(#", error="invalid_token""#))
        #expect(
            String(decoding: resource.metadata(for: anonymous), as: UTF8.self)
                == #"{"resource":"https://api.example/prod/mcp","bearer_methods_supported":["header"],"resource_name":"Warden customer success tools (MCP)","authorization_servers":["https://issuer.example"]}"#
        )
    }

    @Test func aDerivedURLTakesHostProtoAndStageAndRefusesAHostileHost() {
        let resource = ProtectedResource(settings: MCPSettings(resourceURL: nil, stage: "prod", authorizationServers: [], allowGuests: false, toolCallsPerMinute: 1))
        #expect(resource.resourceURL(for: request([("Host", "127.0.0.1:3000"), ("X-Forwarded-Proto", "http")])) == "http://127.0.0.1:3000/prod/mcp")
        #expect(resource.resourceURL(for: request([("Host", "api.example")])) == "https://api.example/prod/mcp")
        #expect(resource.resourceURL(for: request([("Host", "evil\"example")])) == "https://localhost/prod/mcp")
    }
}

@Suite struct CopilotMCPToolTests {
    @Test func theSixToolsLoadTheirSchemas() throws {
        let tools = try CopilotMCPTool.all()
        #expect(tools.map(\.tool.name) == ["get_customer_usage", "get_recent_tickets", "get_contract_info", "calculate_health", "generate_email", "generate_qbr_outline"])
        for tool in tools {
            #expect(tool.tool.inputSchema.violation(in: ["customerId": "acme"]) == nil)
            #expect(tool.tool.inputSchema.violation(in: ["customerId": "acme", "ownerUserId": "x"]) != nil)
        }
    }
}
