import Bytes
import Foundation

/// How a template is turned into a ``GatewayTemplate``: the values a deployment would supply.
public struct TemplateSettings: Sendable {
    /// `AWS::StackName` (default `warden`).
    public var stackName: String
    /// `AWS::Region`.
    public var region: String
    /// `AWS::AccountId` (default 123456789012, as SAM CLI uses).
    public var accountID: String
    /// `--parameter-overrides`: replace parameters' defaults.
    public var parameterOverrides: [String: String]
    /// `--env-vars` in `sam local`'s format: `{"Parameters": {VAR: value}, "<LogicalId or name>": {VAR: value}}`.
    public var environmentOverrides: [String: [String: String]]
    /// Where packaged functions live: `<dist>/<name>/bootstrap`.
    public var distDirectory: String
    /// `--bootstrap Name=path` (by short name or logical id).
    public var bootstrapOverrides: [String: String]
    /// The gateway's own environment: a template variable that resolves to the empty string leaves the variable to it.
    public var inheritedEnvironment: [String: String]

    public init(
        stackName: String = "warden", region: String = "us-east-1", accountID: String = "123456789012",
        parameterOverrides: [String: String] = [:], environmentOverrides: [String: [String: String]] = [:],
        distDirectory: String = "dist", bootstrapOverrides: [String: String] = [:],
        inheritedEnvironment: [String: String]? = nil
    ) {
        self.stackName = stackName
        self.region = region
        self.accountID = accountID
        self.parameterOverrides = parameterOverrides
        self.environmentOverrides = environmentOverrides
        self.distDirectory = distDirectory
        self.bootstrapOverrides = bootstrapOverrides
        self.inheritedEnvironment = inheritedEnvironment ?? ProcessInfo.processInfo.environment
    }

    /// Reads an `--env-vars` file (`sam local`'s JSON format).
    public static func readEnvironmentFile(_ path: String) throws -> [String: [String: String]] {
        guard let data = FileManager.default.contents(atPath: path) else { throw TemplateError("cannot read \(path)") }
        guard let root = VerbatimJSON.parse(Array(data)), let sections = root.members else {
            throw TemplateError("\(path): expected a JSON object like {\"Parameters\": {\"VAR\": \"value\"}}")
        }
        var result: [String: [String: String]] = [:]
        for (section, body) in sections {
            guard let members = body.members else { throw TemplateError("\(path): \(section) must be an object of variables") }
            var variables: [String: String] = [:]
            for (name, json) in members {
                switch json.value {
                case .string(let text): variables[name] = text
                case .int, .double: variables[name] = json.numberText ?? ""
                case .bool(let flag): variables[name] = flag ? "true" : "false"
                case .null: variables[name] = ""
                case .array, .object: throw TemplateError("\(path): \(section).\(name) must be a string")
                }
            }
            result[section] = variables
        }
        return result
    }
}

/// Reads a SAM template: its APIs, functions, routes, Function URLs, schedules, and each function's settings.
public enum TemplateReader {
    public static func read(path: String, settings: TemplateSettings) throws -> GatewayTemplate {
        guard let data = FileManager.default.contents(atPath: path) else { throw TemplateError("cannot read \(path)") }
        return try read(yaml: String(decoding: data, as: UTF8.self), settings: settings)
    }

    public static func read(yaml: String, settings: TemplateSettings) throws -> GatewayTemplate {
        let root = try TemplateParser.parse(yaml: yaml)
        guard root.mappingPairs != nil else { throw TemplateError("the template is not a mapping") }
        let resources = root["Resources"]?.mappingPairs ?? []
        var parameters: [String: String] = [:]
        for (name, body) in root["Parameters"]?.mappingPairs ?? [] {
            if let value = body["Default"]?.scalarText { parameters[name] = value }
        }
        var warnings: [String] = []
        for (name, value) in settings.parameterOverrides {
            if root["Parameters"]?[name] == nil { warnings.append("--parameter-overrides \(name): the template has no such parameter") }
            parameters[name] = value
        }
        let resolver = IntrinsicResolver(
            parameters: parameters, stackName: settings.stackName, region: settings.region, accountID: settings.accountID,
            conditions: Dictionary(root["Conditions"]?.mappingPairs ?? [], uniquingKeysWith: { $1 }),
            mappings: root["Mappings"], resources: Set(resources.map(\.0))
        )
        var reader = Reader(root: root, settings: settings, resolver: resolver)
        let template = reader.build(resources: resources)
        return GatewayTemplate(apis: template.apis, functions: template.functions, warnings: warnings + reader.warnings + resolver.warnings)
    }
}

private struct Reader {
    let root: TemplateNode
    let settings: TemplateSettings
    let resolver: IntrinsicResolver
    var warnings: [String] = []
    /// Routes of REST APIs' OpenAPI definitions, by the logical id of the function their integration invokes.
    var definitionRoutes: [String: [RouteDefinition]] = [:]

    init(root: TemplateNode, settings: TemplateSettings, resolver: IntrinsicResolver) {
        self.root = root
        self.settings = settings
        self.resolver = resolver
    }

    mutating func build(resources: [(String, TemplateNode)]) -> (apis: [APIDefinition], functions: [FunctionDefinition]) {
        var apis: [APIDefinition] = []
        for (logicalID, body) in resources {
            // A resource whose condition is false is not created.
            if let condition = body["Condition"]?.scalarText, resolver.condition(condition) == false { continue }
            switch body["Type"]?.scalarText {
            case "AWS::Serverless::Api":
                apis.append(restAPI(logicalID, properties: merged(global: "Api", body["Properties"])))
            case "AWS::Serverless::HttpApi":
                apis.append(httpAPI(logicalID, properties: merged(global: "HttpApi", body["Properties"])))
            default:
                break
            }
        }
        var functions: [FunctionDefinition] = []
        for (logicalID, body) in resources where body["Type"]?.scalarText == "AWS::Serverless::Function" {
            if let condition = body["Condition"]?.scalarText, resolver.condition(condition) == false { continue }
            functions.append(function(logicalID, properties: merged(global: "Function", body["Properties"]), apis: &apis))
        }
        for (logicalID, routes) in definitionRoutes where !functions.contains(where: { $0.logicalID == logicalID }) {
            for route in routes {
                warnings.append("\(route.apiLogicalID): \(route.method) \(route.path) invokes \(logicalID), which is not a function of this template (or its condition is false); not served")
            }
        }
        return (apis, functions)
    }

    /// A resource's properties over the template's `Globals.<section>` (maps merge, the resource's own values win).
    func merged(global section: String, _ properties: TemplateNode?) -> TemplateNode {
        let globals = root["Globals"]?[section]?.mappingPairs ?? []
        var pairs = globals
        for (key, value) in properties?.mappingPairs ?? [] {
            if let index = pairs.firstIndex(where: { $0.0 == key }) {
                if let base = pairs[index].1.mappingPairs, let own = value.mappingPairs, value.intrinsic == nil, pairs[index].1.intrinsic == nil {
                    pairs[index].1 = mergeMappings(base, own)
                } else {
                    pairs[index].1 = value
                }
            } else {
                pairs.append((key, value))
            }
        }
        return .mapping(pairs)
    }

    func mergeMappings(_ base: [(String, TemplateNode)], _ own: [(String, TemplateNode)]) -> TemplateNode {
        var pairs = base
        for (key, value) in own {
            if let index = pairs.firstIndex(where: { $0.0 == key }) {
                if let a = pairs[index].1.mappingPairs, let b = value.mappingPairs, value.intrinsic == nil, pairs[index].1.intrinsic == nil {
                    pairs[index].1 = mergeMappings(a, b)
                } else {
                    pairs[index].1 = value
                }
            } else {
                pairs.append((key, value))
            }
        }
        return .mapping(pairs)
    }

    func string(_ node: TemplateNode?, _ context: String) -> String? {
        guard let node else { return nil }
        return resolver.resolveString(node, where: context)
    }

    func strings(_ node: TemplateNode?, _ context: String) -> [String] {
        guard let node, let value = resolver.resolve(node, where: context) else { return [] }
        if let items = value.sequenceItems { return items.compactMap(\.scalarText) }
        if let text = value.scalarText { return text.components(separatedBy: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        return []
    }

    func variables(_ node: TemplateNode?, _ context: String) -> [(String, String)] {
        guard let pairs = node?.mappingPairs else { return [] }
        return pairs.map { ($0.0, string($0.1, "\(context).\($0.0)") ?? "") }
    }

    mutating func restAPI(_ logicalID: String, properties: TemplateNode) -> APIDefinition {
        let stage = string(properties["StageName"], "\(logicalID).StageName") ?? (logicalID == "ServerlessRestApi" ? "Prod" : "")
        if stage.isEmpty { warnings.append("\(logicalID): no StageName; using Prod") }
        if properties["Cors"] != nil {
            warnings.append("\(logicalID): Cors (REST API mock OPTIONS methods) is not emulated; OPTIONS requests go to the functions")
        }
        if properties["DefinitionUri"] != nil {
            warnings.append("\(logicalID): routes from a DefinitionUri are not read; only the functions' Api events (and an inline DefinitionBody) are served")
        }
        if let definition = properties["DefinitionBody"] {
            readDefinition(definition, of: logicalID)
        }
        let binary = strings(properties["BinaryMediaTypes"], "\(logicalID).BinaryMediaTypes").map {
            $0.replacingOccurrences(of: "~1", with: "/")
        }
        return APIDefinition(
            logicalID: logicalID, kind: .rest, stageName: stage.isEmpty ? "Prod" : stage, binaryMediaTypes: binary,
            stageVariables: variables(properties["Variables"], "\(logicalID).Variables"), cors: nil,
            apiID: Identifiers.apiID(settings.stackName + "/" + logicalID)
        )
    }

    /// The routes of a REST API's inline OpenAPI `DefinitionBody`: each operation whose `x-amazon-apigateway-integration`
    /// is an `aws_proxy` integration invoking a function of the template (its `uri` naming `${Function.Arn}`), with
    /// the tenant id its `requestParameters` map to `integration.request.header.X-Amz-Tenant-Id` and the required
    /// parameters its request validator enforces.
    mutating func readDefinition(_ node: TemplateNode, of apiID: String) {
        let context = "\(apiID).DefinitionBody"
        guard let definition = conditional(node, context), let paths = definition["paths"]?.mappingPairs else {
            warnings.append("\(context): not an inline OpenAPI document with paths; its routes are not served")
            return
        }
        let validators = definition["x-amazon-apigateway-request-validators"]
        let defaultValidator = definition["x-amazon-apigateway-request-validator"]?.scalarText
        let methods = ["get", "put", "post", "delete", "options", "head", "patch", "x-amazon-apigateway-any-method"]
        for (path, item) in paths {
            let shared = item["parameters"]?.sequenceItems ?? []
            for (key, operation) in item.mappingPairs ?? [] where methods.contains(key.lowercased()) {
                let method = normalizedMethod(key)
                let operationContext = "\(context) \(method) \(path)"
                guard let integration = operation["x-amazon-apigateway-integration"] else {
                    warnings.append("\(operationContext): no x-amazon-apigateway-integration; not served")
                    continue
                }
                guard integration["type"]?.scalarText?.lowercased() == "aws_proxy" else {
                    warnings.append("\(operationContext): only aws_proxy (Lambda proxy) integrations are served")
                    continue
                }
                guard let function = invokedFunction(integration["uri"]) else {
                    warnings.append("\(operationContext): the integration uri names no function of this template; not served")
                    continue
                }
                var tenantIDSource: TenantIDSource?
                for (name, value) in integration["requestParameters"]?.mappingPairs ?? []
                where name.lowercased() == "integration.request.header.x-amz-tenant-id" {
                    guard let expression = value.scalarText, let source = TenantIDSource(expression: expression) else {
                        warnings.append("\(operationContext): the X-Amz-Tenant-Id mapping \(value.scalarText ?? "?") is not modelled; no tenant id is sent")
                        continue
                    }
                    tenantIDSource = source
                }
                let validatorName = operation["x-amazon-apigateway-request-validator"]?.scalarText ?? defaultValidator
                let validates = validatorName.flatMap { validators?[$0]?["validateRequestParameters"]?.scalarText?.lowercased() } == "true"
                var required: [RequiredParameter] = []
                if validates {
                    for parameter in shared + (operation["parameters"]?.sequenceItems ?? [])
                    where parameter["required"]?.scalarText?.lowercased() == "true" {
                        guard let name = parameter["name"]?.scalarText,
                            let location = parameter["in"]?.scalarText.flatMap(RequiredParameter.Location.init(rawValue:))
                        else { continue }
                        required.append(RequiredParameter(location: location, name: name))
                    }
                }
                let timeout = integration["timeoutInMillis"]?.scalarText.flatMap { Int($0) } ?? 29_000
                var route = RouteDefinition(
                    apiLogicalID: apiID, kind: .rest, method: method, path: normalizedPath(path), payloadFormat: .v1,
                    timeoutMilliseconds: min(timeout, 29_000), function: function, eventName: "DefinitionBody \(method) \(path)"
                )
                route.tenantIDSource = tenantIDSource
                route.requiredParameters = required
                definitionRoutes[function, default: []].append(route)
            }
        }
    }

    /// The logical id of the function an integration `uri` invokes: `${Name.Arn}` in a `Fn::Sub`, or
    /// `Fn::GetAtt [Name, Arn]` in a `Fn::Join`.
    func invokedFunction(_ node: TemplateNode?) -> String? {
        guard let (name, argument) = node?.intrinsic else { return nil }
        switch name {
        case "Fn::Sub":
            guard let text = argument.scalarText ?? argument.sequenceItems?.first?.scalarText else { return nil }
            var rest = Substring(text)
            while let start = rest.utf8.firstRange(ofBytes: "${".utf8), let end = rest[start.upperBound...].firstIndex(of: "}") {
                let variable = rest[start.upperBound..<end]
                rest = rest[rest.index(after: end)...]
                guard variable.hasSuffix(".Arn") else { continue }
                let logicalID = variable.dropLast(".Arn".count)
                if !logicalID.isEmpty, logicalID.allSatisfy({ $0.isLetter || $0.isNumber }) { return String(logicalID) }
            }
            return nil
        case "Fn::Join":
            for part in argument.sequenceItems?.last?.sequenceItems ?? [] {
                if let (inner, target) = part.intrinsic, inner == "Fn::GetAtt", let items = target.sequenceItems,
                    items.count == 2, items[1].scalarText == "Arn"
                {
                    return items[0].scalarText
                }
            }
            return nil
        default:
            return nil
        }
    }

    mutating func httpAPI(_ logicalID: String, properties: TemplateNode) -> APIDefinition {
        let stage = string(properties["StageName"], "\(logicalID).StageName") ?? "$default"
        if properties["DefinitionBody"] != nil || properties["DefinitionUri"] != nil {
            warnings.append("\(logicalID): routes from an OpenAPI definition are not read; only the functions' HttpApi events are served")
        }
        if properties["Auth"] != nil {
            warnings.append("\(logicalID): authorizers are not emulated")
        }
        return APIDefinition(
            logicalID: logicalID, kind: .http, stageName: stage.isEmpty ? "$default" : stage, binaryMediaTypes: [],
            stageVariables: variables(properties["StageVariables"], "\(logicalID).StageVariables"),
            cors: cors(properties["CorsConfiguration"], "\(logicalID).CorsConfiguration"),
            apiID: Identifiers.apiID(settings.stackName + "/" + logicalID)
        )
    }

    /// `CorsConfiguration` / `Cors`: `true` (any origin, method and header) or the mapping.
    func cors(_ node: TemplateNode?, _ context: String) -> CORSConfiguration? {
        guard let node, let value = resolver.resolve(node, where: context) else { return nil }
        if let flag = value.scalarText {
            return flag.lowercased() == "true" ? CORSConfiguration(allowOrigins: ["*"], allowMethods: ["*"], allowHeaders: ["*"]) : nil
        }
        guard value.mappingPairs != nil else { return nil }
        return CORSConfiguration(
            allowOrigins: strings(value["AllowOrigins"], context),
            allowMethods: strings(value["AllowMethods"], context).map { $0.uppercased() },
            allowHeaders: strings(value["AllowHeaders"], context),
            exposeHeaders: strings(value["ExposeHeaders"], context),
            maxAge: value["MaxAge"]?.scalarText.flatMap { Int($0) },
            allowCredentials: value["AllowCredentials"]?.scalarText?.lowercased() == "true"
        )
    }

    mutating func function(_ logicalID: String, properties: TemplateNode, apis: inout [APIDefinition]) -> FunctionDefinition {
        let resolvedName = string(properties["FunctionName"], "\(logicalID).FunctionName")
        let name = shortName(logicalID, properties["FunctionName"], resolvedName)
        let functionName = resolvedName.flatMap { $0.isEmpty ? nil : $0 } ?? "\(settings.stackName)-\(logicalID)"
        let bootstrap = settings.bootstrapOverrides[name] ?? settings.bootstrapOverrides[logicalID]
            ?? (settings.distDirectory as NSString).appendingPathComponent("\(name)/bootstrap")
        let timeout = string(properties["Timeout"], "\(logicalID).Timeout").flatMap(Double.init) ?? 3
        let memory = string(properties["MemorySize"], "\(logicalID).MemorySize").flatMap { Int($0) } ?? 128

        var routes: [RouteDefinition] = []
        var schedules: [ScheduleDefinition] = []
        for (eventName, event) in properties["Events"]?.mappingPairs ?? [] {
            let eventProperties = event["Properties"] ?? .mapping([])
            let context = "\(logicalID).Events.\(eventName)"
            switch event["Type"]?.scalarText {
            case "Api":
                let apiID = referencedAPI(eventProperties["RestApiId"], implicit: "ServerlessRestApi", kind: .rest, apis: &apis, context)
                guard let path = string(eventProperties["Path"], "\(context).Path"),
                    let method = string(eventProperties["Method"], "\(context).Method")
                else {
                    warnings.append("\(context): an Api event needs Path and Method")
                    continue
                }
                let timeout = string(eventProperties["TimeoutInMillis"], "\(context).TimeoutInMillis").flatMap { Int($0) } ?? 29_000
                routes.append(RouteDefinition(
                    apiLogicalID: apiID, kind: .rest, method: normalizedMethod(method), path: normalizedPath(path),
                    payloadFormat: .v1, timeoutMilliseconds: min(timeout, 29_000), function: name, eventName: eventName
                ))
            case "HttpApi":
                let apiID = referencedAPI(eventProperties["ApiId"], implicit: "ServerlessHttpApi", kind: .http, apis: &apis, context)
                let path = string(eventProperties["Path"], "\(context).Path")
                let method = string(eventProperties["Method"], "\(context).Method")
                let format = string(eventProperties["PayloadFormatVersion"], "\(context).PayloadFormatVersion") ?? "2.0"
                let timeout = string(eventProperties["TimeoutInMillis"], "\(context).TimeoutInMillis").flatMap { Int($0) } ?? 30_000
                let isDefault = (path == nil && method == nil) || path == "$default"
                routes.append(RouteDefinition(
                    apiLogicalID: apiID, kind: .http, method: isDefault ? "ANY" : normalizedMethod(method ?? "any"),
                    path: isDefault ? "$default" : normalizedPath(path ?? "/"), payloadFormat: format == "1.0" ? .v1 : .v2,
                    timeoutMilliseconds: min(timeout, 30_000), function: name, eventName: eventName
                ))
            case "Schedule", "ScheduleV2":
                let expression = string(eventProperties["Schedule"] ?? eventProperties["ScheduleExpression"], "\(context).Schedule") ?? "?"
                schedules.append(ScheduleDefinition(eventName: eventName, expression: expression))
            case let other:
                warnings.append("\(context): \(other ?? "untyped") events are not served by the gateway")
            }
        }

        var functionURL: FunctionURLDefinition?
        if let config = properties["FunctionUrlConfig"] {
            let mode = string(config["InvokeMode"], "\(logicalID).FunctionUrlConfig.InvokeMode") ?? "BUFFERED"
            let auth = string(config["AuthType"], "\(logicalID).FunctionUrlConfig.AuthType") ?? "NONE"
            if auth == "AWS_IAM" { warnings.append("\(logicalID): Function URL AuthType AWS_IAM is not checked locally (no SigV4)") }
            functionURL = FunctionURLDefinition(
                authType: auth, invokeMode: InvokeMode(rawValue: mode.uppercased()) ?? .buffered,
                cors: cors(config["Cors"], "\(logicalID).FunctionUrlConfig.Cors"),
                urlID: Identifiers.urlID(settings.stackName + "/" + logicalID)
            )
        }

        for var route in definitionRoutes[logicalID] ?? [] {
            route.function = name
            routes.append(route)
        }

        var definition = FunctionDefinition(
            logicalID: logicalID, name: name, functionName: functionName, bootstrap: bootstrap, timeout: timeout, memorySize: memory,
            environment: environment(logicalID, name: name, functionName: functionName, properties: properties),
            routes: routes, functionURL: functionURL, schedules: schedules
        )
        readCapacityProvider(properties, into: &definition)
        readTenancy(properties, into: &definition)
        return definition
    }

    /// A property that may be conditional: `Fn::If` branches chosen by the template's conditions (without resolving
    /// what the chosen branch holds, which may only exist once deployed), nil for `AWS::NoValue` or absence.
    func conditional(_ node: TemplateNode?, _ context: String) -> TemplateNode? {
        guard var current = node else { return nil }
        while let (name, argument) = current.intrinsic {
            switch name {
            case "Fn::If":
                guard let items = argument.sequenceItems, items.count == 3, let condition = items[0].scalarText,
                    let chosen = resolver.condition(condition)
                else {
                    resolver.warn("\(context): malformed or unresolvable Fn::If")
                    return nil
                }
                current = chosen ? items[1] : items[2]
            case "Ref" where argument.scalarText == "AWS::NoValue":
                return nil
            default:
                guard let resolved = resolver.resolve(current, where: context),
                    resolved.scalarText != IntrinsicResolver.noValue.scalarText
                else { return nil }
                return resolved
            }
        }
        return current
    }

    /// Lambda Managed Instances: SAM's `CapacityProviderConfig` (`Arn`, `PerExecutionEnvironmentMaxConcurrency`;
    /// https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-capacityproviderconfig.html)
    /// or CloudFormation's (`LambdaManagedInstancesCapacityProviderConfig.PerExecutionEnvironmentMaxConcurrency`;
    /// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-lambdamanagedinstancescapacityproviderconfig.html).
    mutating func readCapacityProvider(_ properties: TemplateNode, into definition: inout FunctionDefinition) {
        let context = "\(definition.logicalID).CapacityProviderConfig"
        guard let config = conditional(properties["CapacityProviderConfig"], context) else { return }
        let inner = conditional(config["LambdaManagedInstancesCapacityProviderConfig"], context) ?? config
        definition.managedInstances = true
        guard let text = string(inner["PerExecutionEnvironmentMaxConcurrency"], "\(context).PerExecutionEnvironmentMaxConcurrency") else {
            warnings.append("\(context): no PerExecutionEnvironmentMaxConcurrency (Lambda's default depends on the runtime); served at 1")
            return
        }
        guard let value = Int(text), (1...1600).contains(value) else {
            warnings.append("\(context).PerExecutionEnvironmentMaxConcurrency: \(text) is not between 1 and 1600; served at 1")
            return
        }
        definition.maxConcurrency = value
    }

    /// Tenant isolation: `TenancyConfig: {TenantIsolationMode: PER_TENANT}`
    /// (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-tenancyconfig.html),
    /// possibly behind `Fn::If` with `AWS::NoValue`.
    mutating func readTenancy(_ properties: TemplateNode, into definition: inout FunctionDefinition) {
        let context = "\(definition.logicalID).TenancyConfig"
        guard let config = conditional(properties["TenancyConfig"], context) else { return }
        let mode = string(config["TenantIsolationMode"], "\(context).TenantIsolationMode")
        guard mode == "PER_TENANT" else {
            warnings.append("\(context).TenantIsolationMode: \(mode ?? "absent") is not PER_TENANT; not in tenant isolation mode")
            return
        }
        definition.tenantIsolation = true
        if definition.functionURL != nil {
            warnings.append("\(definition.logicalID): tenant isolation mode does not support Function URLs; its Function URL fails every request")
        }
        for route in definition.routes where route.kind == .http {
            warnings.append("\(definition.logicalID): HTTP API route \(route.routeKey) cannot supply a tenant id (only REST APIs map X-Amz-Tenant-Id); it fails every request")
        }
    }

    /// The part after `${AWS::StackName}-` of a `!Sub` FunctionName, else the logical id.
    func shortName(_ logicalID: String, _ node: TemplateNode?, _ resolved: String?) -> String {
        let prefix = "${AWS::StackName}-"
        if let (name, argument) = node?.intrinsic, name == "Fn::Sub" {
            let text = argument.scalarText ?? argument.sequenceItems?.first?.scalarText
            if let text, text.hasPrefix(prefix), let resolved, resolved.hasPrefix(settings.stackName + "-") {
                return String(resolved.dropFirst(settings.stackName.count + 1))
            }
        }
        return logicalID
    }

    /// The logical id an event's `RestApiId` / `ApiId` refers to; SAM's implicit API when absent.
    mutating func referencedAPI(_ node: TemplateNode?, implicit: String, kind: APIKind, apis: inout [APIDefinition], _ context: String) -> String {
        if let node {
            if let (name, argument) = node.intrinsic, name == "Ref", let target = argument.scalarText {
                if apis.contains(where: { $0.logicalID == target }) { return target }
                warnings.append("\(context): \(target) is not an API of this template")
                return target
            }
            warnings.append("\(context): the API must be given as !Ref <LogicalId>")
        }
        if !apis.contains(where: { $0.logicalID == implicit }) {
            let properties = merged(global: kind == .rest ? "Api" : "HttpApi", nil)
            apis.append(kind == .rest ? restAPI(implicit, properties: properties) : httpAPI(implicit, properties: properties))
        }
        return implicit
    }

    func normalizedMethod(_ method: String) -> String {
        let upper = method.uppercased()
        return upper == "*" || upper == "X-AMAZON-APIGATEWAY-ANY-METHOD" ? "ANY" : upper
    }

    func normalizedPath(_ path: String) -> String {
        var out = path.hasPrefix("/") ? path : "/" + path
        while out.count > 1, out.hasSuffix("/") { out.removeLast() }
        return out
    }

    /// Environment variables: Globals merged with the function's, intrinsics resolved, `--env-vars` on top (only for
    /// variables the template declares, as `sam local` does), and Lambda's logging controls from `LoggingConfig`.
    mutating func environment(_ logicalID: String, name: String, functionName: String, properties: TemplateNode) -> [String: String] {
        var result: [String: String] = [:]
        let declared = properties["Environment"]?["Variables"]?.mappingPairs ?? []
        let own = settings.environmentOverrides[logicalID] ?? settings.environmentOverrides[name] ?? settings.environmentOverrides[functionName] ?? [:]
        let shared = settings.environmentOverrides["Parameters"] ?? [:]
        for (variable, node) in declared {
            if let value = own[variable] ?? shared[variable] {
                result[variable] = value
                continue
            }
            // Unresolvable values are empty, with the resolver's warning saying why.
            let value = resolver.resolveString(node, where: "\(logicalID) environment variable \(variable) (empty locally)")
            let text = value ?? ""
            if text.isEmpty, let inherited = settings.inheritedEnvironment[variable], !inherited.isEmpty {
                continue  // the gateway's own (non-empty) value shows through, see README "warden gateway"
            }
            result[variable] = text
        }
        for (variable, _) in own where !declared.contains(where: { $0.0 == variable }) {
            warnings.append("--env-vars \(logicalID).\(variable): not declared by the function in the template, ignored")
        }
        if let format = string(properties["LoggingConfig"]?["LogFormat"], "\(logicalID).LoggingConfig.LogFormat"), result["AWS_LAMBDA_LOG_FORMAT"] == nil {
            result["AWS_LAMBDA_LOG_FORMAT"] = format
        }
        if let level = string(properties["LoggingConfig"]?["ApplicationLogLevel"], "\(logicalID).LoggingConfig.ApplicationLogLevel"),
            result["AWS_LAMBDA_LOG_LEVEL"] == nil
        {
            result["AWS_LAMBDA_LOG_LEVEL"] = level
        }
        return result
    }
}

/// Stable made-up identifiers derived from names (FNV-1a), so a restart keeps the same ids.
enum Identifiers {
    static func apiID(_ seed: String) -> String { derive(seed, length: 10) }
    static func urlID(_ seed: String) -> String { derive(seed, length: 32) }

    static func derive(_ seed: String, length: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var out = ""
        var round: UInt64 = 0
        while out.count < length {
            for byte in seed.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            hash ^= round
            hash = hash &* 0x100_0000_01b3
            var value = hash
            for _ in 0..<6 where out.count < length {
                out.append(alphabet[Int(value % 36)])
                value /= 36
            }
            round += 1
        }
        return out
    }
}
