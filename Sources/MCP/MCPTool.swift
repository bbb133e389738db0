public import WardenJSON

/// One tool as MCP clients see it (`tools/list`): its name, a title and description for the model, the JSON Schemas
/// of its arguments and of its `structuredContent`, and its behaviour hints (`annotations`).
public struct MCPTool: Sendable {
    public let name: String
    public let title: String
    public let description: String
    public let inputSchema: JSONSchema
    public let outputSchema: JSONSchema
    /// `ToolAnnotations`: `readOnlyHint`, `destructiveHint`, `idempotentHint`, `openWorldHint`.
    public let annotations: JSONObject

    public init(name: String, title: String, description: String, inputSchema: JSONSchema, outputSchema: JSONSchema, annotations: JSONObject) {
        self.name = name
        self.title = title
        self.description = description
        self.inputSchema = inputSchema
        self.outputSchema = outputSchema
        self.annotations = annotations
    }

    /// The hints of a tool that only reads the caller's own data: read-only, idempotent, closed world.
    public static let readOnlyAnnotations: JSONObject = [
        "readOnlyHint": true, "destructiveHint": false, "idempotentHint": true, "openWorldHint": false,
    ]

    /// The tool's entry of a `tools/list` result.
    public var listing: JSON {
        var annotations = self.annotations
        annotations["title"] = .string(title)
        return [
            "name": .string(name), "title": .string(title), "description": .string(description),
            "inputSchema": inputSchema.json, "outputSchema": outputSchema.json, "annotations": .object(annotations),
        ]
    }
}

/// What running a tool produced: its structured result, or a failure the model may see (a code of the envelope
/// and a message written for callers; never an internal detail).
public enum MCPToolOutcome: Sendable, Equatable {
    case success(JSON)
    case failure(code: String, message: String)
}
