public import LambdaHTTP
internal import WardenJSON

/// The protected-resource side of MCP authorization (RFC 9728): where the metadata lives, the `WWW-Authenticate`
/// challenge naming it, and the metadata document.
public struct ProtectedResource: Sendable {
    let settings: MCPSettings

    public init(settings: MCPSettings) { self.settings = settings }

    /// The path of the metadata route (within the API's stage, next to `/mcp`).
    public static let metadataPath = "/.well-known/oauth-protected-resource"

    /// The endpoint's URL: `MCP_RESOURCE_URL`, else `https://<Host>/<MCP_STAGE>/mcp` from the request.
    public func resourceURL(for request: HTTPRequest) -> String {
        if let url = settings.resourceURL { return url }
        let host = request.header("host").value.flatMap { MCPSettings.isHTTPURL("https://\($0)") ? $0 : nil } ?? "localhost"
        let scheme = request.header("x-forwarded-proto").value == "http" ? "http" : "https"
        let stage = settings.stage.map { $0 == "$default" ? "" : "/\($0)" } ?? ""
        return "\(scheme)://\(host)\(stage)/mcp"
    }

    /// Where the metadata is served: the resource URL with its last segment (`mcp`) replaced by the well-known path
    /// (API Gateway serves nothing outside the stage, so not at the host's root).
    public func metadataURL(for request: HTTPRequest) -> String {
        let resource = resourceURL(for: request)
        let trimmed = resource.hasSuffix("/mcp") ? String(resource.dropLast(4)) : resource
        return trimmed + Self.metadataPath
    }

    /// `Bearer resource_metadata="…"`, with `error="invalid_token"` when a token was presented (RFC 6750 §3).
    public func challenge(for request: HTTPRequest) -> String {
        var value = "Bearer resource_metadata=\"\(metadataURL(for: request))\""
        if request.header("authorization") != .absent { value += ", error=\"invalid_token\"" }
        return value
    }

    /// The metadata document (RFC 9728 §2).
    public func metadata(for request: HTTPRequest) -> [UInt8] {
        var document: JSONObject = [
            "resource": .string(resourceURL(for: request)),
            "bearer_methods_supported": ["header"],
            "resource_name": "Warden customer success tools (MCP)",
        ]
        if !settings.authorizationServers.isEmpty {
            document["authorization_servers"] = .array(settings.authorizationServers.map { .string($0) })
        }
        return JSON.object(document).serialized()
    }
}
