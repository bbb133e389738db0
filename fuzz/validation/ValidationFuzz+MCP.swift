internal import Copilot
internal import FuzzSupport
internal import LambdaHTTP
internal import MCP
internal import WardenJSON

/// Mode `m`: an MCP request body (the header line first: `2026-07-28`, `2025-06-18`, or empty for none) through
/// `MCPServer` with the six copilot tools' definitions and a stand-in tool that answers a fixed valid result.
///
/// Invariants: the tool runs at most once, never for a batch, and only with arguments its input schema accepts; a
/// result that says `isError: false` comes from a run; every answer is one JSON value (or nothing, for `202`) with a
/// status of the protocol's table; no text block holds `<`, `>` or `&`.
extension ValidationFuzz {
    static let mcpServer: MCPServer = {
        let definitions = [
            GetCustomerUsage.definition, GetRecentTickets.definition, GetContractInfo.definition, CalculateHealth.definition,
            GenerateEmail.definition, GenerateQBROutline.definition,
        ]
        let tools = definitions.map { definition -> MCPTool in
            guard let input = try? JSONSchema(text: definition.inputSchema), let output = try? JSONSchema(text: definition.outputSchema)
            else { fatalError("a tool definition's schema is outside the validator's subset") }
            return MCPTool(
                name: definition.name, title: definition.title, description: definition.description, inputSchema: input,
                outputSchema: output, annotations: MCPTool.readOnlyAnnotations
            )
        }
        return MCPServer(name: "fuzz", version: "1", instructions: "fuzz", tools: tools)
    }()

    /// A valid result of each tool, with markup in its strings.
    static let mcpResults: [String: JSON] = [
        "get_customer_usage": ["trend": "up", "avgDailyUsers": 3, "sparkline": [1, 2.5], "missingData": false],
        "get_recent_tickets": ["openTickets": 1, "recentTickets": [["id": "<b>&", "severity": "high"]], "missingData": false],
        "get_contract_info": ["renewalDate": "2030-01-02T03:04:05.000006", "arr": 5, "missingData": false],
        "calculate_health": ["score": 50, "riskLevel": "medium", "signals": ["usage_flat", "no_tickets"]],
        "generate_email": ["subject": "<script>", "body": "a & b"],
        "generate_qbr_outline": ["sections": ["</tool>"]],
    ]

    static func mcp(_ data: [UInt8]) {
        let fields = Fuzz.fields(data, count: 2)
        let version = String(decoding: fields[0], as: UTF8.self)
        let body = fields[1]
        var headers: [String: String] = [:]
        if !version.isEmpty { headers[MCPProtocol.protocolVersionHeader] = version }
        let parsed = try? JSON.parse(body, options: JSONParseOptions(maxDepth: 64, rejectDuplicateKeys: true))
        if version == "2026-07-28", let method = parsed?["method"]?.stringValue {
            headers[MCPProtocol.methodHeader] = method
            if let name = parsed?["params"]?["name"]?.stringValue { headers[MCPProtocol.nameHeader] = name }
        }
        var runs = 0
        let reply = mcpServer.handle(
            body: body, header: { headers[$0].map { .value($0) } ?? .absent }, admit: { nil },
            call: { tool, arguments in
                runs += 1
                Fuzz.check(tool.inputSchema.violation(in: .object(arguments)) == nil, "ran \(tool.name) with invalid arguments")
                return .success(mcpResults[tool.name] ?? .null)
            }
        )
        Fuzz.check(runs <= 1, "a request ran \(runs) tools")
        if case .array? = parsed { Fuzz.check(runs == 0, "a batch ran a tool") }
        Fuzz.check([200, 202, 400, 404, 429, 500].contains(reply.status), "status \(reply.status)")
        if reply.status == 202 {
            Fuzz.check(reply.body.isEmpty, "202 with a body")
            return
        }
        guard let answer = try? JSON.parse(reply.body) else {
            Fuzz.check(false, "the answer is not JSON")
            return
        }
        if answer["result"]?["isError"] == .bool(false) { Fuzz.check(runs == 1, "a success without a run") }
        for item in answer["result"]?["content"]?.arrayValue ?? [] {
            let text = item["text"]?.stringValue ?? ""
            Fuzz.check(!text.utf8.contains { $0 == 0x3C || $0 == 0x3E || $0 == 0x26 }, "markup in a text block")
        }
    }
}
