internal import Platform
public import Middleware

/// The `mcp` function's own settings, read once at init; an invalid value fails the initialization naming the
/// setting, never its value.
public struct MCPSettings: Sendable, Equatable {
    /// `MCP_RESOURCE_URL`: the endpoint's public URL (`https://…/prod/mcp`), the protected resource of RFC 9728.
    /// Unset: derived per request from `X-Forwarded-Proto`, `Host` and `MCP_STAGE` (`https://host/prod/mcp`).
    public var resourceURL: String?
    /// `MCP_STAGE`: the API stage in front of the routes (the template sets it to its `StageName`), for the derived
    /// resource URL.
    public var stage: String?
    /// `MCP_AUTHORIZATION_SERVERS`: comma-separated issuer URLs for the metadata (default: `JWT_ISSUER`, if set).
    public var authorizationServers: [String]
    /// `MCP_ALLOW_GUESTS` (`true` / `false`, default `false`): whether a request without a token is served as the
    /// guest tenant `public`. A token that is present must be valid either way.
    public var allowGuests: Bool
    /// `MCP_TOOL_CALLS_PER_MINUTE` (default 60, 0 turns it off): each subject's budget of tool calls, a token bucket
    /// of its own (`mcp:<subject>`), apart from the tenant's HTTP rate limit.
    public var toolCallsPerMinute: Int

    public static let defaultToolCallsPerMinute = 60

    public init(resourceURL: String?, stage: String? = nil, authorizationServers: [String], allowGuests: Bool, toolCallsPerMinute: Int) {
        self.resourceURL = resourceURL
        self.stage = stage
        self.authorizationServers = authorizationServers
        self.allowGuests = allowGuests
        self.toolCallsPerMinute = toolCallsPerMinute
    }

    public static func fromEnvironment() throws(InitializationError) -> MCPSettings {
        try fromEnvironment(Platform.environment)
    }

    static func fromEnvironment(_ environment: (String) -> String?) throws(InitializationError) -> MCPSettings {
        func value(_ name: String) -> String? { environment(name).flatMap { $0.isEmpty ? nil : $0 } }
        var resource: String?
        if let url = value("MCP_RESOURCE_URL") {
            guard isHTTPURL(url) else { throw InitializationError("Configuration error: MCP_RESOURCE_URL must be an http(s) URL") }
            resource = url
        }
        var stage: String?
        if let name = value("MCP_STAGE") {
            guard name.utf8.count <= 128, name.utf8.allSatisfy({ ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2D })
            else { throw InitializationError("Configuration error: MCP_STAGE must be an API stage name") }
            stage = name
        }
        var servers: [String] = []
        if let list = value("MCP_AUTHORIZATION_SERVERS") {
            servers = list.split(separator: ",").map { String($0.filter { $0 != " " }) }.filter { !$0.isEmpty }
            guard servers.allSatisfy(isHTTPURL) else {
                throw InitializationError("Configuration error: MCP_AUTHORIZATION_SERVERS must list http(s) URLs")
            }
        } else if let issuer = value("JWT_ISSUER"), isHTTPURL(issuer) {
            servers = [issuer]
        }
        var guests = false
        switch value("MCP_ALLOW_GUESTS") {
        case nil, "false": guests = false
        case "true": guests = true
        default: throw InitializationError("Configuration error: MCP_ALLOW_GUESTS must be true or false")
        }
        var budget = defaultToolCallsPerMinute
        if let text = value("MCP_TOOL_CALLS_PER_MINUTE") {
            guard text.utf8.count <= 7, let n = Int(text), n >= 0 else {
                throw InitializationError("Configuration error: MCP_TOOL_CALLS_PER_MINUTE must be a whole number of at least 0")
            }
            budget = n
        }
        return MCPSettings(resourceURL: resource, stage: stage, authorizationServers: servers, allowGuests: guests, toolCallsPerMinute: budget)
    }

    static func isHTTPURL(_ text: String) -> Bool {
        (text.hasPrefix("https://") || text.hasPrefix("http://")) && text.utf8.count <= 2048
            && !text.utf8.contains { $0 <= 0x20 || $0 == 0x22 || $0 == 0x7F || $0 == 0x5C }
    }
}
