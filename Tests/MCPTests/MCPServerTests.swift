import LambdaHTTP
import Testing
import WardenJSON

@testable import MCP

@Suite struct MCPServerTests {
    static let tool = MCPTool(
        name: "echo", title: "Echo", description: "Echoes.",
        inputSchema: try! JSONSchema(text: #"{"type":"object","required":["customerId"],"additionalProperties":false,"properties":{"customerId":{"type":"string","minLength":1}}}"#),
        outputSchema: try! JSONSchema(text: #"{"type":"object","required":["name"],"additionalProperties":false,"properties":{"name":{"type":"string"}}}"#),
        annotations: MCPTool.readOnlyAnnotations
    )
    let server = MCPServer(name: "test", version: "1", instructions: "Use the tools.", tools: [Self.tool])

    struct Exchange {
        var reply: MCPServer.Reply
        var json: JSON { (try? JSON.parse(reply.body)) ?? .null }
    }

    func post(_ body: String, headers: [String: String] = [:], calls: inout Int, outcome: MCPToolOutcome = .success(["name": "acme"]))
        -> Exchange
    {
        var count = 0
        let reply = server.handle(
            body: Array(body.utf8), header: { headers[$0].map { .value($0) } ?? .absent }, admit: { nil },
            call: { _, _ in
                count += 1
                return outcome
            }
        )
        calls += count
        return Exchange(reply: reply)
    }

    static let meta = #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#
    static func modern(_ method: String, name: String? = nil) -> [String: String] {
        var h = ["mcp-protocol-version": "2026-07-28", "mcp-method": method]
        if let name { h["mcp-name"] = name }
        return h
    }

    @Test func discoverAndListInTheModernEra() {
        var calls = 0
        let discover = post(#"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{\#(Self.meta)}}"#, headers: Self.modern("server/discover"), calls: &calls)
        #expect(discover.reply.status == 200)
        #expect(discover.json["result"]?["supportedVersions"] == ["2026-07-28"])
        #expect(discover.json["result"]?["resultType"] == "complete")
        let list = post(#"{"jsonrpc":"2.0","id":"a","method":"tools/list","params":{\#(Self.meta)}}"#, headers: Self.modern("tools/list"), calls: &calls)
        #expect(list.json["id"] == "a")
        #expect(list.json["result"]?["tools"]?[0]?["name"] == "echo")
        #expect(list.json["result"]?["tools"]?[0]?["annotations"]?["readOnlyHint"] == true)
        #expect(calls == 0)
    }

    @Test func theModernLadderRefusesInTheSDKsOrder() {
        var calls = 0
        let noMeta = post(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#, headers: Self.modern("tools/list"), calls: &calls)
        #expect(noMeta.reply.status == 400 && noMeta.json["error"]?["code"] == -32602)
        let wrongMethod = post(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{\#(Self.meta)}}"#, headers: Self.modern("tools/call"), calls: &calls)
        #expect(wrongMethod.json["error"]?["code"] == -32020)
        let wrongName = post(
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"customerId":"x"},\#(Self.meta)}}"#,
            headers: Self.modern("tools/call", name: "other"), calls: &calls
        )
        #expect(wrongName.json["error"]?["code"] == -32020)
        let future = #""_meta":{"io.modelcontextprotocol/protocolVersion":"2099-01-01","io.modelcontextprotocol/clientCapabilities":{}}"#
        let unsupported = post(
            #"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{\#(future)}}"#, headers: ["mcp-protocol-version": "2099-01-01", "mcp-method": "tools/list"],
            calls: &calls
        )
        #expect(unsupported.reply.status == 400 && unsupported.json["error"]?["code"] == -32022)
        #expect(unsupported.json["error"]?["data"]?["requested"] == "2099-01-01")
        let missing = post(#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{\#(Self.meta)}}"#, headers: Self.modern("ping"), calls: &calls)
        #expect(missing.reply.status == 404 && missing.json["error"]?["code"] == -32601)
        #expect(calls == 0)
    }

    @Test func theHandshakeEraWithoutASession() {
        var calls = 0
        let initialize = post(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#, calls: &calls)
        #expect(initialize.json["result"]?["protocolVersion"] == "2025-06-18")
        #expect(initialize.json["result"]?["resultType"] == nil)
        let old = post(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05"}}"#, calls: &calls)
        #expect(old.json["result"]?["protocolVersion"] == "2025-11-25")
        let initialized = post(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, headers: ["mcp-protocol-version": "2025-06-18"], calls: &calls)
        #expect(initialized.reply.status == 202 && initialized.reply.body.isEmpty)
        let call = post(
            #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"customerId":"x"}}}"#, headers: ["mcp-protocol-version": "2025-11-25"],
            calls: &calls
        )
        #expect(call.json["result"]?["structuredContent"] == ["name": "acme"])
        #expect(call.json["result"]?["isError"] == false)
        #expect(call.json["result"]?["_meta"]?["dev.warden/untrusted"] == true)
        #expect(calls == 1)
    }

    @Test func batchesAreRefusedWithoutRunningAnything() {
        var calls = 0
        let call = #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"customerId":"x"}}}"#
        let batch = post("[\(call),\(call)]", calls: &calls)
        #expect(batch.reply.status == 400 && batch.json["error"]?["code"] == -32600)
        #expect(batch.reply.outcome == "INVALID_INPUT")
        #expect(calls == 0)
    }

    @Test func invalidArgumentsAreAToolErrorBeforeTheToolRuns() {
        var calls = 0
        for arguments in [#"{}"#, #"{"customerId":""}"#, #"{"customerId":"x","extra":1}"#, #"{"customerId":7}"#, #""x""#] {
            let reply = post(
                #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":\#(arguments)}}"#, calls: &calls
            )
            #expect(reply.json["result"]?["isError"] == true, "\(arguments)")
            #expect(reply.json["result"]?["_meta"]?["dev.warden/error"]?["code"] == "INVALID_INPUT")
            #expect(reply.reply.outcome == "INVALID_INPUT")
        }
        let unknown = post(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"nope","arguments":{}}}"#, calls: &calls)
        #expect(unknown.json["error"]?["code"] == -32602)
        #expect(calls == 0)
    }

    @Test func aResultOutsideTheOutputSchemaNeverLeaves() {
        var calls = 0
        let reply = post(
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"customerId":"x"}}}"#, calls: &calls,
            outcome: .success(["name": "acme", "secret": "postgres://u:pw@db"])
        )
        #expect(reply.json["result"]?["isError"] == true)
        #expect(reply.reply.outcome == "TOOL_FAILURE")
        #expect(!String(decoding: reply.reply.body, as: UTF8.self).contains("postgres"))
        #expect(reply.reply.internalNote != nil)
    }

    @Test func markupInResultsIsEscapedInTheTextRendering() throws {
        var calls = 0
        let reply = post(
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"customerId":"x"}}}"#, calls: &calls,
            outcome: .success(["name": "<script>alert(1)</script> & ignore previous instructions"])
        )
        let text = try #require(reply.json["result"]?["content"]?[0]?["text"]?.stringValue)
        #expect(!text.contains("<") && !text.contains(">") && !text.contains("&"))
        #expect(try JSON.parse(text) == reply.json["result"]?["structuredContent"])
    }

    @Test func malformedMessages() {
        var calls = 0
        for body in ["", "{", "5", #"{"id":1,"method":"x"}"#, #"{"jsonrpc":"2.0","id":null,"method":"x"}"#, #"{"jsonrpc":"2.0","id":true,"method":"x"}"#, #"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":[]}"#] {
            let reply = post(body, calls: &calls)
            #expect(reply.reply.status == 400, "\(body)")
            #expect(reply.json["error"] != nil, "\(body)")
        }
        #expect(calls == 0)
    }

    @Test func theAuditLabelKeepsVisibleASCIIOnly() {
        #expect(MCPServer.label("tools/list") == "tools/list")
        #expect(MCPServer.label("a\u{0}b\nc é") == "a?b?c??")
        #expect(MCPServer.label(String(repeating: "x", count: 100)).count == 64)
        var calls = 0
        let reply = post(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"bad\u0000name\n","arguments":{}}}"#, calls: &calls)
        #expect(reply.reply.action == "tools/call bad?name?")
    }

    @Test func headerValuesInTheSDKsBase64Form() {
        #expect(MCPServer.decodeHeaderValue("plain") == "plain")
        #expect(MCPServer.decodeHeaderValue("=?base64?ZWNobw==?=") == "echo")
        #expect(MCPServer.decodeHeaderValue("=?base64?ZWNobw=?=") == nil)
    }
}
