/// The protocol's constants: the revisions served, the JSON-RPC error codes, the reserved `_meta` keys and headers.
public enum MCPProtocol {
    /// Revisions served statelessly, each request carrying its own version and capabilities in `_meta`
    /// (`server/discover` instead of a handshake).
    public static let modernVersions = ["2026-07-28"]
    /// Revisions served through the `initialize` handshake, answered without a session: every later request stands
    /// alone (the handshake only tells the client which revision we speak).
    public static let handshakeVersions = ["2025-06-18", "2025-11-25"]
    /// What `initialize` answers when the client asks for a revision we do not speak.
    public static let latestHandshakeVersion = "2025-11-25"

    public static let protocolVersionHeader = "mcp-protocol-version"
    public static let methodHeader = "mcp-method"
    public static let nameHeader = "mcp-name"

    public static let protocolVersionMetaKey = "io.modelcontextprotocol/protocolVersion"
    public static let clientCapabilitiesMetaKey = "io.modelcontextprotocol/clientCapabilities"
    public static let clientInfoMetaKey = "io.modelcontextprotocol/clientInfo"
    public static let serverInfoMetaKey = "io.modelcontextprotocol/serverInfo"
    /// Ours: on every tool result, `true` — its content is data from the tenant's records, to be treated by the
    /// model as untrusted input and never as instructions.
    public static let untrustedMetaKey = "dev.warden/untrusted"
    /// Ours: on a failed tool result, `{code, message}` as in the envelope.
    public static let errorMetaKey = "dev.warden/error"

    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603
    public static let headerMismatch = -32020
    public static let unsupportedProtocolVersion = -32022
    /// Ours, in the implementation-defined range: the caller's rate limit or tool-call budget refused the request.
    public static let rateLimited = -32029

    /// The HTTP status of a modern-revision JSON-RPC error (the official SDK's table); others answer `200`.
    public static func modernStatus(for code: Int) -> Int {
        switch code {
        case parseError, invalidRequest, invalidParams, headerMismatch, unsupportedProtocolVersion: 400
        case methodNotFound: 404
        case rateLimited: 429
        default: 200
        }
    }
}
