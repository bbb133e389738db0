// The copilot tools for any AI client: MCP over Streamable HTTP (stateless 2026-07-28 and the 2025-06-18 /
// 2025-11-25 handshake, JSON answers), bearer JWT whose subject is the tenant, and the protected-resource metadata
// of RFC 9728. See functions/mcp/README.md. The routes are the router's table; `CopilotMCPResponder` answers both.
import CopilotMCP
import Middleware

MCPHandler.main(name: "mcp") {
    [
        APIRoute("POST", "/mcp", .user) { _ in throw EnvelopeError.toolFailure },
        APIRoute("GET", "/.well-known/oauth-protected-resource", .user) { _ in throw EnvelopeError.toolFailure },
    ]
}
