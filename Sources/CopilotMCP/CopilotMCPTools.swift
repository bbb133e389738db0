public import Copilot
public import LambdaRuntime
public import MCP
public import Middleware
public import Postgres
public import WardenJSON

/// The six copilot tools as MCP tools: each tool's `definition` (its schemas) and the function that runs it.
public struct CopilotMCPTool: Sendable {
    public let tool: MCPTool
    public let run: @Sendable (CopilotRequest, TenantSession, LambdaContext) throws -> JSON

    /// `tool` with the MCP form of its `definition`; a schema outside the validator's subset fails the
    /// initialization.
    public static func make<T: CopilotTool>(_ tool: T, _ definition: CopilotToolDefinition) throws(InitializationError) -> CopilotMCPTool {
        let input: JSONSchema, output: JSONSchema
        do {
            input = try JSONSchema(text: definition.inputSchema)
            output = try JSONSchema(text: definition.outputSchema)
        } catch {
            throw InitializationError("Configuration error: the schema of \(definition.name) is not supported (\(error.description))")
        }
        let mcp = MCPTool(
            name: definition.name, title: definition.title, description: definition.description, inputSchema: input, outputSchema: output,
            annotations: MCPTool.readOnlyAnnotations
        )
        return CopilotMCPTool(tool: mcp, run: { request, session, context in try tool.run(request, session: session, context: context) })
    }

    /// The six tools, in the order of CONTRACTS.md §1.
    public static func all() throws(InitializationError) -> [CopilotMCPTool] {
        [
            try make(GetCustomerUsage(), GetCustomerUsage.definition),
            try make(GetRecentTickets(), GetRecentTickets.definition),
            try make(GetContractInfo(), GetContractInfo.definition),
            try make(CalculateHealth(), CalculateHealth.definition),
            try make(GenerateEmail(), GenerateEmail.definition),
            try make(GenerateQBROutline(), GenerateQBROutline.definition),
        ]
    }
}
