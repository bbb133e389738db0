public import WardenJSON

/// A JSON Schema (draft 2020-12) restricted to the keywords the tools' schemas use, checked when it is built:
/// `type` (a name or a list), `enum`, `const`, `properties`, `required`, `additionalProperties` (a boolean),
/// `items`, `minItems`, `maxItems`, `minLength`, `maxLength` (in Unicode scalars), `pattern` (see `SchemaPattern`),
/// `minimum`, `maximum`, and the annotations `description`, `title`, `examples`, `default`, `format` (not asserted).
/// A schema with any other keyword is refused, so validation can never pass a value because a keyword was ignored.
public struct JSONSchema: Sendable, Equatable {
    /// The schema document, as given (what `tools/list` publishes).
    public let json: JSON
    private let patterns: [String: SchemaPattern]

    /// Why a schema was refused: the keyword's location and what is wrong with it.
    public struct DefinitionError: Error, Sendable, Equatable, CustomStringConvertible {
        public let location: String
        public let reason: String
        public var description: String { "\(location.isEmpty ? "/" : location): \(reason)" }
    }

    /// A value that does not satisfy the schema: where (a JSON pointer into the value) and which rule failed. It
    /// names the rule and its bound, never the offending value, so it can be shown to the caller.
    public struct Violation: Error, Sendable, Equatable, CustomStringConvertible {
        public let location: String
        public let reason: String
        public var description: String { "\(location.isEmpty ? "(the value)" : location): \(reason)" }
    }

    static let assertions: Set<String> = [
        "type", "enum", "const", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
        "minLength", "maxLength", "pattern", "minimum", "maximum",
    ]
    static let annotations: Set<String> = ["description", "title", "examples", "default", "format", "$schema"]
    static let typeNames: Set<String> = ["null", "boolean", "object", "array", "number", "integer", "string"]

    public init(_ json: JSON) throws(DefinitionError) {
        var patterns: [String: SchemaPattern] = [:]
        try Self.check(json, at: "", patterns: &patterns)
        self.json = json
        self.patterns = patterns
    }

    /// Parses the schema's JSON text and checks it.
    public init(text: String) throws(DefinitionError) {
        let json: JSON
        do {
            json = try JSON.parse(text, options: JSONParseOptions(maxDepth: 32, rejectDuplicateKeys: true))
        } catch {
            throw DefinitionError(location: "", reason: "not valid JSON")
        }
        try self.init(json)
    }

    private static func check(_ node: JSON, at location: String, patterns: inout [String: SchemaPattern]) throws(DefinitionError) {
        guard let schema = node.objectValue else { throw DefinitionError(location: location, reason: "a schema must be an object") }
        for (key, value) in schema {
            let here = "\(location)/\(key)"
            guard assertions.contains(key) || annotations.contains(key) else {
                throw DefinitionError(location: here, reason: "unsupported keyword")
            }
            switch key {
            case "type":
                let names: [JSON] = value.arrayValue ?? [value]
                guard !names.isEmpty, names.allSatisfy({ $0.stringValue.map(typeNames.contains) ?? false }) else {
                    throw DefinitionError(location: here, reason: "must name JSON types")
                }
            case "enum":
                guard let items = value.arrayValue, !items.isEmpty else { throw DefinitionError(location: here, reason: "must be a non-empty array") }
            case "properties":
                guard let properties = value.objectValue else { throw DefinitionError(location: here, reason: "must be an object") }
                for (name, sub) in properties { try check(sub, at: "\(here)/\(name)", patterns: &patterns) }
            case "required":
                guard let names = value.arrayValue, names.allSatisfy({ $0.stringValue != nil }) else {
                    throw DefinitionError(location: here, reason: "must be an array of names")
                }
            case "additionalProperties":
                guard value.boolValue != nil else { throw DefinitionError(location: here, reason: "only true or false is supported") }
            case "items":
                try check(value, at: here, patterns: &patterns)
            case "minItems", "maxItems", "minLength", "maxLength":
                guard let n = value.int64Value, n >= 0 else { throw DefinitionError(location: here, reason: "must be a non-negative integer") }
            case "minimum", "maximum":
                guard value.isNumber else { throw DefinitionError(location: here, reason: "must be a number") }
            case "pattern":
                guard let source = value.stringValue, let pattern = SchemaPattern(source) else {
                    throw DefinitionError(location: here, reason: "pattern outside the supported subset")
                }
                patterns[source] = pattern
            default:
                break
            }
        }
    }

    /// The first rule `instance` breaks, or `nil` when it is valid.
    public func violation(in instance: JSON) -> Violation? {
        validate(instance, against: json, at: "")
    }

    private func validate(_ value: JSON, against node: JSON, at location: String) -> Violation? {
        guard let schema = node.objectValue else { return nil }
        func fail(_ reason: String) -> Violation { Violation(location: location, reason: reason) }
        if let type = schema["type"] {
            let names = (type.arrayValue ?? [type]).compactMap(\.stringValue)
            guard names.contains(where: { Self.value(value, hasType: $0) }) else {
                return fail("must be of type \(names.joined(separator: " or "))")
            }
        }
        if let options = schema["enum"]?.arrayValue, !options.contains(where: { Self.equal($0, value) }) {
            return fail("must be one of the allowed values")
        }
        if let constant = schema["const"], !Self.equal(constant, value) { return fail("must be the constant value") }
        switch value {
        case .string(let text):
            let length = text.unicodeScalars.count
            if let min = schema["minLength"]?.int64Value, length < min { return fail("must be at least \(min) characters long") }
            if let max = schema["maxLength"]?.int64Value, length > max { return fail("must be at most \(max) characters long") }
            if let source = schema["pattern"]?.stringValue, let pattern = patterns[source], !pattern.matches(text) {
                return fail("must match the pattern \(source)")
            }
        case .int, .double:
            if let min = schema["minimum"]?.doubleValue, let v = value.doubleValue, v < min { return fail("must be at least \(schema["minimum"]?.text ?? "")") }
            if let max = schema["maximum"]?.doubleValue, let v = value.doubleValue, v > max { return fail("must be at most \(schema["maximum"]?.text ?? "")") }
        case .array(let items):
            if let min = schema["minItems"]?.int64Value, items.count < min { return fail("must have at least \(min) items") }
            if let max = schema["maxItems"]?.int64Value, items.count > max { return fail("must have at most \(max) items") }
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() {
                    if let violation = validate(item, against: itemSchema, at: "\(location)/\(index)") { return violation }
                }
            }
        case .object(let object):
            for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
                return fail("is missing the required member \(Self.pointerToken(name))")
            }
            let properties = schema["properties"]?.objectValue ?? JSONObject()
            for (name, member) in object {
                if let sub = properties[name] {
                    // `name` is one of the schema's own names: safe to show.
                    if let violation = validate(member, against: sub, at: "\(location)/\(Self.pointerToken(name))") { return violation }
                } else if schema["additionalProperties"]?.boolValue == false {
                    // The caller's own member name is not echoed.
                    return fail("has a member that is not allowed (allowed: \(properties.keys.joined(separator: ", ")))")
                }
            }
        case .null, .bool:
            break
        }
        return nil
    }

    /// A member name of the schema as a JSON pointer token (RFC 6901).
    static func pointerToken(_ name: String) -> String {
        var out = ""
        for scalar in name.unicodeScalars.prefix(64) {
            switch scalar {
            case "~": out += "~0"
            case "/": out += "~1"
            default: out.unicodeScalars.append(scalar.properties.generalCategory == .control ? "?" : scalar)
            }
        }
        return out
    }

    static func value(_ value: JSON, hasType name: String) -> Bool {
        switch (name, value) {
        case ("null", .null), ("boolean", .bool), ("object", .object), ("array", .array), ("string", .string): true
        case ("number", .int), ("number", .double), ("integer", .int): true
        case ("integer", .double(let d)): d.rounded() == d && d.isFinite
        default: false
        }
    }

    /// JSON equality for `enum` and `const`: numbers by value, objects regardless of member order.
    static func equal(_ a: JSON, _ b: JSON) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { equal(value, $0) } ?? false }
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.int, .double), (.double, .int), (.double, .double):
            return a.doubleValue == b.doubleValue
        default:
            return a == b
        }
    }
}
