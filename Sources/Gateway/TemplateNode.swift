import Yams

/// A CloudFormation template value after YAML parsing, with every short-form intrinsic (`!Ref X`, `!Sub …`,
/// `!GetAtt A.B`, `!If […]`, …) rewritten to its long form (`{"Ref": "X"}`, `{"Fn::Sub": …}`), as CloudFormation
/// itself reads it. Scalars stay text: CloudFormation treats `10` and `'10'` alike for the properties we read.
public indirect enum TemplateNode: Sendable {
    case scalar(String)
    case null
    case sequence([TemplateNode])
    case mapping([(String, TemplateNode)])

    public subscript(key: String) -> TemplateNode? {
        guard case .mapping(let pairs) = self else { return nil }
        return pairs.last { $0.0 == key }?.1
    }

    public var mappingPairs: [(String, TemplateNode)]? {
        if case .mapping(let pairs) = self { return pairs }
        return nil
    }

    public var sequenceItems: [TemplateNode]? {
        if case .sequence(let items) = self { return items }
        return nil
    }

    public var scalarText: String? {
        if case .scalar(let text) = self { return text }
        return nil
    }

    /// The name of the intrinsic function when this node is one (`Ref`, `Fn::Sub`, `Condition`, …) with its argument.
    var intrinsic: (name: String, argument: TemplateNode)? {
        guard case .mapping(let pairs) = self, pairs.count == 1 else { return nil }
        let name = pairs[0].0
        guard name == "Ref" || name == "Condition" || name.hasPrefix("Fn::") else { return nil }
        return (name, pairs[0].1)
    }
}

/// Errors reading a template file.
public struct TemplateError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

enum TemplateParser {
    /// Parses YAML (JSON is YAML too) into a ``TemplateNode`` tree.
    static func parse(yaml: String) throws -> TemplateNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw TemplateError("the template is not valid YAML: \(error)")
        }
        guard let root else { throw TemplateError("the template is empty") }
        return try convert(root)
    }

    private static func convert(_ node: Node) throws -> TemplateNode {
        let tag = node.tag.description
        let plain: TemplateNode
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain, isNullTag(tag) || ["", "~", "null", "Null", "NULL"].contains(scalar.string),
                !tag.hasPrefix("!")
            {
                plain = .null
            } else {
                plain = .scalar(scalar.string)
            }
        case .mapping(let mapping):
            var pairs: [(String, TemplateNode)] = []
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else { throw TemplateError("a mapping key is not a scalar") }
                pairs.append((keyScalar.string, try convert(value)))
            }
            plain = .mapping(pairs)
        case .sequence(let sequence):
            plain = .sequence(try sequence.map(convert))
        case .alias:
            throw TemplateError("YAML aliases are not supported in templates")
        }
        guard tag.hasPrefix("!"), !tag.hasPrefix("!!") else { return plain }
        return try shortForm(String(tag.dropFirst()), plain)
    }

    private static func isNullTag(_ tag: String) -> Bool { tag == "tag:yaml.org,2002:null" }

    /// `!Ref X` → `{"Ref": "X"}`, `!GetAtt A.B` → `{"Fn::GetAtt": ["A", "B"]}`, `!Condition C` → `{"Condition": "C"}`,
    /// any other `!Name arg` → `{"Fn::Name": arg}`.
    private static func shortForm(_ name: String, _ argument: TemplateNode) throws -> TemplateNode {
        switch name {
        case "Ref":
            return .mapping([("Ref", argument)])
        case "Condition":
            return .mapping([("Condition", argument)])
        case "GetAtt":
            if case .scalar(let text) = argument, let dot = text.firstIndex(of: ".") {
                let resource = String(text[..<dot])
                let attribute = String(text[text.index(after: dot)...])
                return .mapping([("Fn::GetAtt", .sequence([.scalar(resource), .scalar(attribute)]))])
            }
            return .mapping([("Fn::GetAtt", argument)])
        default:
            return .mapping([("Fn::" + name, argument)])
        }
    }
}
