import Bytes
import Foundation
import WardenJSON

/// Evaluates CloudFormation intrinsic functions the way a deployment would, for the values a local run needs
/// (environment variables, stage names, timeouts): `Ref` of parameters and pseudo parameters, `Fn::Sub`, `Fn::If`
/// with the template's conditions, `Fn::Not`/`Equals`/`And`/`Or`, `Fn::Join`, `Fn::Select`, `Fn::Split`,
/// `Fn::FindInMap`, `Fn::Base64`. What only exists once deployed (`Ref` of a resource, `Fn::GetAtt`, `Fn::ImportValue`,
/// `{{resolve:…}}` dynamic references) cannot be resolved: the caller gets nil and a warning is recorded.
final class IntrinsicResolver {
    /// Parameter values: each parameter's `Default`, replaced by `--parameter-overrides`.
    let parameters: [String: String]
    let pseudo: [String: String]
    let conditions: [String: TemplateNode]
    let mappings: TemplateNode?
    let resources: Set<String>
    private var conditionCache: [String: Bool] = [:]
    private var evaluating: Set<String> = []
    private(set) var warnings: [String] = []

    init(
        parameters: [String: String], stackName: String, region: String, accountID: String,
        conditions: [String: TemplateNode], mappings: TemplateNode?, resources: Set<String>
    ) {
        self.parameters = parameters
        self.pseudo = [
            "AWS::StackName": stackName,
            "AWS::Region": region,
            "AWS::AccountId": accountID,
            "AWS::Partition": region.hasPrefix("cn-") ? "aws-cn" : (region.hasPrefix("us-gov-") ? "aws-us-gov" : "aws"),
            "AWS::URLSuffix": region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com",
            "AWS::StackId": "arn:aws:cloudformation:\(region):\(accountID):stack/\(stackName)/00000000-0000-0000-0000-000000000000",
        ]
        self.conditions = conditions
        self.mappings = mappings
        self.resources = resources
    }

    func warn(_ message: String) {
        if !warnings.contains(message) { warnings.append(message) }
    }

    /// Marker for `Ref: AWS::NoValue` (the property is removed).
    static let noValue = TemplateNode.scalar("\u{0}AWS::NoValue")

    /// The node with every intrinsic evaluated; nil when something in it cannot be resolved locally (a warning says
    /// what). `where` names the value in warnings.
    func resolve(_ node: TemplateNode, where context: String) -> TemplateNode? {
        if let (name, argument) = node.intrinsic {
            return evaluate(name, argument, context)
        }
        switch node {
        case .scalar, .null:
            return node
        case .sequence(let items):
            var out: [TemplateNode] = []
            for item in items {
                guard let value = resolve(item, where: context) else { return nil }
                if case .scalar(let text) = value, text == Self.noValue.scalarText { continue }
                out.append(value)
            }
            return .sequence(out)
        case .mapping(let pairs):
            var out: [(String, TemplateNode)] = []
            for (key, value) in pairs {
                guard let resolved = resolve(value, where: context) else { return nil }
                if case .scalar(let text) = resolved, text == Self.noValue.scalarText { continue }
                out.append((key, resolved))
            }
            return .mapping(out)
        }
    }

    /// A resolved scalar as text (numbers and booleans are text already); nil when unresolvable or not a scalar.
    func resolveString(_ node: TemplateNode, where context: String) -> String? {
        guard let value = resolve(node, where: context) else { return nil }
        switch value {
        case .scalar(let text):
            if text == Self.noValue.scalarText { return nil }
            if text.utf8.containsBytes("{{resolve:".utf8) {
                warn("\(context): the dynamic reference in it is only resolved by CloudFormation at deploy time")
                return nil
            }
            return text
        case .null:
            return ""
        case .sequence, .mapping:
            warn("\(context): expected a single value, found a list or mapping")
            return nil
        }
    }

    /// Evaluates the named condition of the template's `Conditions` section.
    func condition(_ name: String) -> Bool? {
        if let cached = conditionCache[name] { return cached }
        guard let body = conditions[name] else {
            warn("unknown condition \(name)")
            return nil
        }
        guard !evaluating.contains(name) else {
            warn("condition \(name) refers to itself")
            return nil
        }
        evaluating.insert(name)
        defer { evaluating.remove(name) }
        guard let value = boolean(body, where: "condition \(name)") else { return nil }
        conditionCache[name] = value
        return value
    }

    private func boolean(_ node: TemplateNode, where context: String) -> Bool? {
        if let (name, argument) = node.intrinsic, name == "Condition", let conditionName = argument.scalarText {
            return condition(conditionName)
        }
        guard let value = resolve(node, where: context), let text = value.scalarText else { return nil }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default:
            warn("\(context): \(text) is not a boolean")
            return nil
        }
    }

    private func evaluate(_ name: String, _ argument: TemplateNode, _ context: String) -> TemplateNode? {
        switch name {
        case "Ref":
            guard let target = argument.scalarText else { return nil }
            if target == "AWS::NoValue" { return Self.noValue }
            if target == "AWS::NotificationARNs" { return .sequence([]) }
            if let value = pseudo[target] { return .scalar(value) }
            if let value = parameters[target] { return .scalar(value) }
            if resources.contains(target) {
                warn("\(context): Ref \(target) names a resource that only exists once deployed")
            } else {
                warn("\(context): Ref \(target) is neither a parameter nor a resource")
            }
            return nil
        case "Fn::Sub":
            return substitute(argument, context)
        case "Fn::If":
            guard let items = argument.sequenceItems, items.count == 3, let conditionName = items[0].scalarText else {
                warn("\(context): malformed Fn::If")
                return nil
            }
            guard let chosen = condition(conditionName) else { return nil }
            return resolve(chosen ? items[1] : items[2], where: context)
        case "Fn::Not":
            guard let items = argument.sequenceItems, items.count == 1, let value = boolean(items[0], where: context) else { return nil }
            return .scalar(value ? "false" : "true")
        case "Fn::And", "Fn::Or":
            guard let items = argument.sequenceItems, !items.isEmpty else { return nil }
            var values: [Bool] = []
            for item in items {
                guard let value = boolean(item, where: context) else { return nil }
                values.append(value)
            }
            let result = name == "Fn::And" ? values.allSatisfy { $0 } : values.contains(true)
            return .scalar(result ? "true" : "false")
        case "Fn::Equals":
            guard let items = argument.sequenceItems, items.count == 2,
                let left = resolve(items[0], where: context), let right = resolve(items[1], where: context)
            else { return nil }
            return .scalar(equal(left, right) ? "true" : "false")
        case "Fn::Join":
            guard let items = argument.sequenceItems, items.count == 2, let separator = resolveString(items[0], where: context),
                let list = resolve(items[1], where: context)?.sequenceItems
            else { return nil }
            var parts: [String] = []
            for item in list {
                guard let text = item.scalarText else { return nil }
                parts.append(text)
            }
            return .scalar(parts.joined(separator: separator))
        case "Fn::Select":
            guard let items = argument.sequenceItems, items.count == 2, let indexText = resolveString(items[0], where: context),
                let index = Int(indexText), let list = resolve(items[1], where: context)?.sequenceItems, list.indices.contains(index)
            else { return nil }
            return list[index]
        case "Fn::Split":
            guard let items = argument.sequenceItems, items.count == 2, let separator = resolveString(items[0], where: context),
                !separator.isEmpty, let text = resolveString(items[1], where: context)
            else { return nil }
            return .sequence(text.components(separatedBy: separator).map { .scalar($0) })
        case "Fn::FindInMap":
            guard let items = argument.sequenceItems, items.count >= 3, let map = resolveString(items[0], where: context),
                let first = resolveString(items[1], where: context), let second = resolveString(items[2], where: context),
                let value = mappings?[map]?[first]?[second]
            else {
                warn("\(context): Fn::FindInMap finds nothing")
                return nil
            }
            return resolve(value, where: context)
        case "Fn::Base64":
            guard let text = resolveString(argument, where: context) else { return nil }
            return .scalar(Base64.standard.encode(Array(text.utf8)))
        case "Fn::GetAtt":
            let target = argument.sequenceItems?.compactMap(\.scalarText).joined(separator: ".") ?? "?"
            warn("\(context): Fn::GetAtt \(target) only exists once deployed")
            return nil
        default:
            warn("\(context): \(name) is not supported locally")
            return nil
        }
    }

    private func equal(_ left: TemplateNode, _ right: TemplateNode) -> Bool {
        switch (left, right) {
        case (.scalar(let a), .scalar(let b)): return a == b
        case (.null, .null): return true
        case (.null, .scalar(let b)), (.scalar(let b), .null): return b.isEmpty
        case (.sequence(let a), .sequence(let b)): return a.count == b.count && zip(a, b).allSatisfy { equal($0, $1) }
        default: return false
        }
    }

    /// `Fn::Sub`: `${Name}` (parameter, pseudo parameter or a variable of the second form), `${Resource.Attr}`
    /// (unresolvable), `${!Literal}` (kept as `${Literal}`).
    private func substitute(_ argument: TemplateNode, _ context: String) -> TemplateNode? {
        var variables: [String: TemplateNode] = [:]
        let template: String
        if let text = argument.scalarText {
            template = text
        } else if let items = argument.sequenceItems, items.count == 2, let text = items[0].scalarText {
            template = text
            for (key, value) in items[1].mappingPairs ?? [] { variables[key] = value }
        } else {
            warn("\(context): malformed Fn::Sub")
            return nil
        }
        var out = ""
        var rest = Substring(template)
        while let start = rest.utf8.firstRange(ofBytes: "${".utf8) {
            out += rest[..<start.lowerBound]
            let afterStart = rest[start.upperBound...]
            guard let end = afterStart.firstIndex(of: "}") else {
                out += rest[start.lowerBound...]
                rest = ""
                break
            }
            let name = String(afterStart[..<end])
            rest = afterStart[afterStart.index(after: end)...]
            if name.hasPrefix("!") {
                out += "${" + name.dropFirst() + "}"
                continue
            }
            if let variable = variables[name] {
                guard let text = resolveString(variable, where: context) else { return nil }
                out += text
            } else if let value = pseudo[name] {
                out += value
            } else if let value = parameters[name] {
                out += value
            } else {
                if name.contains(".") || resources.contains(name) {
                    warn("\(context): ${\(name)} only exists once deployed")
                } else {
                    warn("\(context): ${\(name)} is neither a parameter nor a resource")
                }
                return nil
            }
        }
        out += rest
        return .scalar(out)
    }
}
