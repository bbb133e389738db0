internal import Bytes
public import LambdaHTTP
public import WardenJSON

/// MCP over Streamable HTTP for a Lambda function: one POST in, one JSON answer out (no SSE, no session), for both
/// eras of the protocol:
///
/// - **2026-07-28** (stateless): every request carries `_meta` with its protocol version and client capabilities,
///   mirrored in the `MCP-Protocol-Version`, `Mcp-Method` and (for `tools/call`) `Mcp-Name` headers; the checks run
///   in the official SDK's order (envelope keys → headers → supported version), and errors carry its HTTP statuses.
///   Methods: `server/discover`, `tools/list`, `tools/call`.
/// - **2025-06-18 / 2025-11-25** (handshake): `initialize` answers the revision, `notifications/initialized` is
///   acknowledged (`202`), and every later request stands alone — the `MCP-Protocol-Version` header, when sent, must
///   name a handshake revision. Methods: `initialize`, `ping`, `tools/list`, `tools/call`.
///
/// JSON-RPC batches (a JSON array) are refused in both eras (`-32600`): neither revision has them (2025-06-18
/// removed batching; 2026-07-28 takes exactly one message per POST), so a request carries at most one tool call.
///
/// Tool calls: unknown tool → `-32602`; arguments that fail the tool's input schema → a tool error (`isError`,
/// `INVALID_INPUT`) before `call` runs; `call`'s failures → tool errors with the envelope's code; a result that
/// fails the tool's output schema → `TOOL_FAILURE` (the result never leaves). Every result is marked untrusted data
/// (`_meta["dev.warden/untrusted"]`), and its text rendering is the result's JSON with `<`, `>` and `&` escaped.
public struct MCPServer: Sendable {
    public let name: String
    public let version: String
    public let instructions: String
    public let tools: [MCPTool]

    public init(name: String, version: String, instructions: String, tools: [MCPTool]) {
        self.name = name
        self.version = version
        self.instructions = instructions
        self.tools = tools
    }

    /// The answer to one HTTP request.
    public struct Reply: Sendable {
        /// HTTP status.
        public var status: Int
        /// The JSON body (empty for `202`).
        public var body: [UInt8]
        /// `nil` when the request succeeded; otherwise what the audit row and metrics record: an envelope code
        /// (`INVALID_INPUT`, `RATE_LIMITED`, `TOOL_FAILURE`, …).
        public var outcome: String?
        /// What was asked, for the audit row: `initialize`, `tools/list`, `tools/call get_customer_usage`, …
        public var action: String
        /// Why a result was withheld (an output schema violation), for the log; never sent.
        public var internalNote: String?
    }

    /// What a request that is about to be answered may be refused for (a rate limit): an envelope code and message.
    public struct Refusal: Error, Sendable, Equatable {
        public let code: String
        public let message: String
        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// Largest nesting of a request body.
    static let maxDepth = 64

    /// Answers one POSTed body.
    ///
    /// - Parameters:
    ///   - header: the request's header by lower-case name.
    ///   - admit: called once before answering any request other than `tools/call` (e.g. to take a rate-limit
    ///     token); a refusal becomes a JSON-RPC error.
    ///   - call: runs a tool with arguments that passed its input schema.
    public func handle(
        body: [UInt8]?, header: (String) -> HTTPRequest.HeaderValue, admit: () -> Refusal?,
        call: (MCPTool, JSONObject) -> MCPToolOutcome
    ) -> Reply {
        let root: JSON
        do {
            root = try JSON.parse(body ?? [], options: JSONParseOptions(maxDepth: Self.maxDepth, rejectDuplicateKeys: true))
        } catch {
            return rpcError(nil, MCPProtocol.parseError, "Parse error", status: 400, outcome: "INVALID_INPUT", action: "parse")
        }
        if case .array = root {
            return rpcError(
                nil, MCPProtocol.invalidRequest, "Batches are not supported: send one JSON-RPC message per request.", status: 400,
                outcome: "INVALID_INPUT", action: "batch"
            )
        }
        guard let message = root.objectValue, message["jsonrpc"] == .string("2.0") else {
            return invalidRequest(nil)
        }
        let versionHeader = header(MCPProtocol.protocolVersionHeader)
        guard let id = message["id"] else {
            // A notification: acknowledged and dropped (nothing here keeps state for one to act on).
            guard case .string(let method)? = message["method"] else { return invalidRequest(nil) }
            if case .value(let version) = versionHeader, !(MCPProtocol.modernVersions + MCPProtocol.handshakeVersions).contains(version) {
                return unsupportedVersion(nil, requested: version, action: Self.label(method))
            }
            if versionHeader == .conflict {
                return rpcError(
                    nil, MCPProtocol.headerMismatch, "MCP-Protocol-Version appears more than once", status: 400, outcome: "INVALID_INPUT",
                    action: Self.label(method)
                )
            }
            return Reply(status: 202, body: [], outcome: nil, action: Self.label(method))
        }
        switch id {
        case .string, .int: break
        default: return invalidRequest(nil)
        }
        guard case .string(let method)? = message["method"] else { return invalidRequest(id) }
        let params: JSONObject
        switch message["params"] {
        case nil: params = JSONObject()
        case .object(let p)?: params = p
        default: return invalidRequest(id)
        }
        let meta = params["_meta"]?.objectValue
        let modern: Bool
        switch versionHeader {
        case .value(let version):
            if MCPProtocol.handshakeVersions.contains(version) {
                modern = false
            } else if MCPProtocol.modernVersions.contains(version) || meta?[MCPProtocol.protocolVersionMetaKey] != nil {
                modern = true
            } else {
                return unsupportedVersion(id, requested: version, action: Self.label(method))
            }
        case .absent: modern = meta?[MCPProtocol.protocolVersionMetaKey] != nil || method == "server/discover"
        case .conflict:
            return rpcError(
                id, MCPProtocol.headerMismatch, "MCP-Protocol-Version appears more than once", status: 400, outcome: "INVALID_INPUT",
                action: Self.label(method)
            )
        }
        let action = method == "tools/call" ? "tools/call \(params["name"]?.stringValue.map(Self.label) ?? "?")" : Self.label(method)
        if modern {
            if let rejection = modernLadder(id: id, method: method, params: params, header: header, action: action) { return rejection }
            switch method {
            case "server/discover":
                if let refusal = admit() { return refused(id, refusal, modern: true, action: action) }
                return result(id, modern: true, action: action, [
                    "supportedVersions": .array(MCPProtocol.modernVersions.map { .string($0) }),
                    "capabilities": ["tools": ["listChanged": false]],
                    "instructions": .string(instructions), "cacheScope": "public", "ttlMs": 0,
                ])
            case "tools/list":
                if let refusal = admit() { return refused(id, refusal, modern: true, action: action) }
                return result(id, modern: true, action: action, ["tools": .array(tools.map(\.listing)), "cacheScope": "public", "ttlMs": 0])
            case "tools/call":
                return callTool(id, params: params, modern: true, action: action, call: call)
            default:
                return rpcError(id, MCPProtocol.methodNotFound, "Method not found", status: 404, outcome: "NOT_FOUND", action: action)
            }
        }
        // The handshake era: no header (a first `initialize`) or one of its revisions.
        switch method {
        case "initialize":
            if let refusal = admit() { return refused(id, refusal, modern: false, action: action) }
            let requested = params["protocolVersion"]?.stringValue ?? ""
            let version = MCPProtocol.handshakeVersions.contains(requested) ? requested : MCPProtocol.latestHandshakeVersion
            return result(id, modern: false, action: action, [
                "protocolVersion": .string(version), "capabilities": ["tools": ["listChanged": false]],
                "serverInfo": ["name": .string(name), "version": .string(self.version)], "instructions": .string(instructions),
            ])
        case "ping":
            if let refusal = admit() { return refused(id, refusal, modern: false, action: action) }
            return result(id, modern: false, action: action, [:])
        case "tools/list":
            if let refusal = admit() { return refused(id, refusal, modern: false, action: action) }
            return result(id, modern: false, action: action, ["tools": .array(tools.map(\.listing))])
        case "tools/call":
            return callTool(id, params: params, modern: false, action: action, call: call)
        default:
            return rpcError(id, MCPProtocol.methodNotFound, "Method not found", status: 200, outcome: "NOT_FOUND", action: action)
        }
    }

    /// A caller's method or tool name as the audit row records it: at most 64 characters, anything but visible ASCII
    /// replaced by `?`.
    static func label(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(64).map { $0.value > 0x20 && $0.value < 0x7F ? $0 : "?" }))
    }

    /// The 2026-07-28 checks of the official SDK (`classify_inbound_request`), first failure wins.
    private func modernLadder(
        id: JSON, method: String, params: JSONObject, header: (String) -> HTTPRequest.HeaderValue, action: String
    ) -> Reply? {
        guard let meta = params["_meta"]?.objectValue else {
            return rpcError(
                id, MCPProtocol.invalidParams,
                "params._meta must be an object carrying the required '\(MCPProtocol.protocolVersionMetaKey)' and '\(MCPProtocol.clientCapabilitiesMetaKey)' envelope keys",
                status: 400, outcome: "INVALID_INPUT", action: action
            )
        }
        let missing = [MCPProtocol.protocolVersionMetaKey, MCPProtocol.clientCapabilitiesMetaKey].filter { meta[$0] == nil }
        guard missing.isEmpty else {
            return rpcError(
                id, MCPProtocol.invalidParams, "params._meta is missing the required envelope key(s): \(missing.joined(separator: ", "))",
                status: 400, outcome: "INVALID_INPUT", action: action
            )
        }
        let version = meta[MCPProtocol.protocolVersionMetaKey]
        func mismatch(_ what: String) -> Reply {
            rpcError(id, MCPProtocol.headerMismatch, what, status: 400, outcome: "INVALID_INPUT", action: action)
        }
        guard case .value(let versionHeader) = header(MCPProtocol.protocolVersionHeader), version == .string(versionHeader) else {
            return mismatch("mcp-protocol-version header does not match the request envelope's protocol version")
        }
        guard case .value(let methodHeader) = header(MCPProtocol.methodHeader), methodHeader == method else {
            return mismatch("mcp-method header does not match the request body's method")
        }
        if method == "tools/call", let name = params["name"], name != .null {
            guard case .value(let nameHeader) = header(MCPProtocol.nameHeader), Self.decodeHeaderValue(nameHeader).map({ JSON.string($0) }) == name else {
                return mismatch("mcp-name header does not match the request body's 'name' parameter")
            }
        }
        guard case .string(let requested)? = version else {
            return rpcError(id, MCPProtocol.invalidParams, "the protocol-version envelope value must be a string", status: 400, outcome: "INVALID_INPUT", action: action)
        }
        guard MCPProtocol.modernVersions.contains(requested) else { return unsupportedVersion(id, requested: requested, action: action) }
        return nil
    }

    /// A header value as the SDK mirrors it: verbatim, or `=?base64?…?=` around canonical base64 of UTF-8.
    static func decodeHeaderValue(_ value: String) -> String? {
        let bytes = Array(value.utf8)
        let prefix = Array("=?base64?".utf8), suffix = Array("?=".utf8)
        guard bytes.count >= prefix.count + suffix.count, bytes.starts(with: prefix), bytes.suffix(2).elementsEqual(suffix) else {
            return value
        }
        let payload = bytes[prefix.count..<(bytes.count - suffix.count)]
        guard let decoded = Base64.standard.decode(payload), Base64.standard.encode(decoded).utf8.elementsEqual(payload) else { return nil }
        return String(validating: decoded, as: UTF8.self)
    }

    private func callTool(
        _ id: JSON, params: JSONObject, modern: Bool, action: String, call: (MCPTool, JSONObject) -> MCPToolOutcome
    ) -> Reply {
        let status = modern ? 400 : 200
        guard case .string(let name)? = params["name"] else {
            return rpcError(id, MCPProtocol.invalidParams, "params.name must be the name of a tool", status: status, outcome: "INVALID_INPUT", action: action)
        }
        guard let tool = tools.first(where: { $0.name == name }) else {
            return rpcError(id, MCPProtocol.invalidParams, "Unknown tool", status: status, outcome: "NOT_FOUND", action: action)
        }
        let arguments: JSONObject
        switch params["arguments"] {
        case nil, .null?: arguments = JSONObject()
        case .object(let a)?: arguments = a
        default: return toolError(id, modern: modern, action: action, code: "INVALID_INPUT", message: "arguments must be an object.")
        }
        if let violation = tool.inputSchema.violation(in: .object(arguments)) {
            return toolError(id, modern: modern, action: action, code: "INVALID_INPUT", message: "arguments\(violation.location) \(violation.reason).")
        }
        switch call(tool, arguments) {
        case .failure(let code, let message):
            return toolError(id, modern: modern, action: action, code: code, message: message)
        case .success(let data):
            if let violation = tool.outputSchema.violation(in: data) {
                var reply = toolError(id, modern: modern, action: action, code: "TOOL_FAILURE", message: Self.toolFailureMessage)
                reply.internalNote = "output schema violation: \(violation.description)"
                return reply
            }
            var content: JSONObject = ["type": "text", "text": .string(Self.escapedText(data))]
            content["_meta"] = [MCPProtocol.untrustedMetaKey: true]
            return result(id, modern: modern, action: action, [
                "content": [.object(content)], "structuredContent": data, "isError": false,
            ], resultMeta: [MCPProtocol.untrustedMetaKey: true])
        }
    }

    /// The message of every unexpected failure (the envelope's).
    public static let toolFailureMessage = "The tool failed to complete the request."

    /// `value` as compact JSON with `<`, `>` and `&` written as `\u003c`, `\u003e`, `\u0026`: the same JSON, with no
    /// markup for a client that renders text.
    static func escapedText(_ value: JSON) -> String {
        var out: [UInt8] = []
        for byte in value.serialized() {
            switch byte {
            case UInt8(ascii: "<"): out += Array("\\u003c".utf8)
            case UInt8(ascii: ">"): out += Array("\\u003e".utf8)
            case UInt8(ascii: "&"): out += Array("\\u0026".utf8)
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func toolError(_ id: JSON, modern: Bool, action: String, code: String, message: String) -> Reply {
        let error: JSON = ["code": .string(code), "message": .string(message)]
        var content: JSONObject = ["type": "text", "text": .string(Self.escapedText(error))]
        content["_meta"] = [MCPProtocol.untrustedMetaKey: true]
        var reply = result(id, modern: modern, action: action, ["content": [.object(content)], "isError": true],
                           resultMeta: [MCPProtocol.untrustedMetaKey: true, MCPProtocol.errorMetaKey: error])
        reply.outcome = code
        return reply
    }

    private func result(_ id: JSON, modern: Bool, action: String, _ fields: JSONObject, resultMeta: JSONObject = [:]) -> Reply {
        var body = fields
        var meta = resultMeta
        if modern {
            body["resultType"] = "complete"
            meta[MCPProtocol.serverInfoMetaKey] = ["name": .string(name), "version": .string(version)]
        }
        if !meta.isEmpty { body["_meta"] = .object(meta) }
        let message: JSON = ["jsonrpc": "2.0", "id": id, "result": .object(body)]
        return Reply(status: 200, body: message.serialized(), outcome: nil, action: action)
    }

    private func refused(_ id: JSON, _ refusal: Refusal, modern: Bool, action: String) -> Reply {
        let code = refusal.code == "RATE_LIMITED" || refusal.code == "TOO_MANY_CONCURRENT_REQUESTS" ? MCPProtocol.rateLimited : MCPProtocol.internalError
        return rpcError(
            id, code, refusal.message, status: code == MCPProtocol.rateLimited ? 429 : 500, outcome: refusal.code,
            action: action, data: ["code": .string(refusal.code)]
        )
    }

    private func invalidRequest(_ id: JSON?) -> Reply {
        rpcError(id, MCPProtocol.invalidRequest, "Invalid Request", status: 400, outcome: "INVALID_INPUT", action: "invalid")
    }

    private func unsupportedVersion(_ id: JSON?, requested: String, action: String) -> Reply {
        rpcError(
            id, MCPProtocol.unsupportedProtocolVersion, "Unsupported protocol version", status: 400, outcome: "INVALID_INPUT", action: action,
            data: [
                "supported": .array((MCPProtocol.modernVersions + MCPProtocol.handshakeVersions).map { .string($0) }),
                "requested": .string(Self.label(requested)),
            ]
        )
    }

    private func rpcError(
        _ id: JSON?, _ code: Int, _ message: String, status: Int, outcome: String, action: String, data: JSON? = nil
    ) -> Reply {
        var error: JSONObject = ["code": .int(Int64(code)), "message": .string(message)]
        if let data { error["data"] = data }
        let body: JSON = ["jsonrpc": "2.0", "id": id ?? .null, "error": .object(error)]
        return Reply(status: status, body: body.serialized(), outcome: outcome, action: action)
    }
}
