import ArgumentParser
import Dispatch
import Emulator
import Foundation
import Gateway

/// `warden gateway`: a local API Gateway (REST and HTTP APIs, Function URLs) built from a SAM template.
struct GatewayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Serve a SAM template's APIs and Function URLs locally, as API Gateway and Lambda do.",
        discussion: """
            Reads the template's AWS::Serverless::Function resources and serves every Api event (REST API, payload \
            1.0) and HttpApi event (HTTP API, payload 2.0) on one port, at /<path> and at /<stage>/<path>, and every \
            FunctionUrlConfig on a port of its own (buffered, or streamed for InvokeMode RESPONSE_STREAM). Events \
            are built as API Gateway builds them (request context, multi-value headers and query strings, path \
            parameters, cookies, base64 bodies) and proxy responses mapped back (status, headers and \
            multiValueHeaders, cookies, base64 bodies, payload 2.0 inference); function errors, timeouts and crashes \
            answer 502 (REST) / 500 (HTTP API), integration timeouts 504, unknown routes 403 (REST) / 404 (HTTP API). \
            CorsConfiguration (HTTP API) and Cors (Function URL) are applied by the gateway, as AWS does.

            Each function runs as <dist>/<name>/bootstrap (name: its FunctionName after "${AWS::StackName}-", \
            else its logical id) under the Lambda Runtime API emulator, --warm processes per function started at \
            once, with the template's Timeout, MemorySize and Environment (Globals merged; parameters from their \
            Default or --parameter-overrides; --env-vars on top). The gateway's own environment is passed below \
            them, and a template variable that resolves to an empty string leaves the variable to it, so \
            DATABASE_URL, HMAC_SECRET or JWT_SECRET from the shell reach the functions locally. Scheduled events \
            are listed, not run. Function output goes to standard output, each line prefixed with the function's \
            name.

            A function's CapacityProviderConfig (Lambda Managed Instances) runs its processes with \
            PerExecutionEnvironmentMaxConcurrency invocations at once (AWS_LAMBDA_MAX_CONCURRENCY), and its \
            TenancyConfig PER_TENANT in tenant isolation mode; a REST API's inline OpenAPI DefinitionBody adds \
            its aws_proxy routes, with the tenant id its integration maps to X-Amz-Tenant-Id and the parameters \
            its request validator requires. docs/EMULATOR.md has the details.

              warden gateway --parameter-overrides AllowedOrigin=http://localhost:5173 RateLimitPerMinute=0
              curl -s http://127.0.0.1:3000/prod/api/participants -H "Authorization: Bearer $TOKEN"
            """
    )

    @Option(help: "The SAM template.")
    var template = "template/template.yaml"

    @Option(help: "Directory of the packaged functions (<dist>/<name>/bootstrap).")
    var dist = "dist"

    @Option(name: .customLong("bootstrap"), help: ArgumentHelp("Executable for one function, by name or logical id (repeatable).", valueName: "NAME=PATH"))
    var bootstraps: [String] = []

    @Option(
        name: .customLong("parameter-overrides"), parsing: .upToNextOption,
        help: ArgumentHelp("Template parameter values (Key=Value, or ParameterKey=Key,ParameterValue=Value).", valueName: "KEY=VALUE")
    )
    var parameterOverrides: [String] = []

    @Option(name: .customLong("env-vars"), help: ArgumentHelp("Environment overrides in sam local's JSON format: {\"Parameters\": {…}, \"<LogicalId>\": {…}}.", valueName: "FILE"))
    var envVars: String?

    @Option(name: .customLong("stack-name"), help: "Value of AWS::StackName.")
    var stackName = "warden"

    @Option(help: "Value of AWS::Region (default: $AWS_REGION, else $AWS_DEFAULT_REGION, else us-east-1).")
    var region: String?

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Port of the APIs; 0 picks a free one (printed).")
    var port = 3000

    @Option(name: .customLong("function-url-port"), help: "First Function URL port (one per Function URL, consecutive; default: --port + 1).")
    var functionURLPort: Int?

    @Option(help: "Warm processes per function.")
    var warm = 1

    @Flag(help: "No line per request.")
    var quiet = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535.") }
        if let functionURLPort, !(0...65535).contains(functionURLPort) {
            throw ValidationError("--function-url-port must be between 0 and 65535.")
        }
        guard (1...64).contains(warm) else { throw ValidationError("--warm must be between 1 and 64.") }
        guard FileManager.default.fileExists(atPath: template) else { throw ValidationError("No such file: \(template)") }
        _ = try parsedBootstraps()
        _ = try parsedParameters()
    }

    private func parsedBootstraps() throws -> [String: String] {
        do {
            return try EmulatorConfiguration.parseEnvironmentAssignments(bootstraps)
        } catch {
            throw ValidationError("--bootstrap expects NAME=PATH: \(error)")
        }
    }

    /// `K=V` words (several per argument allowed, separated by spaces) or `ParameterKey=K,ParameterValue=V`.
    private func parsedParameters() throws -> [String: String] {
        var result: [String: String] = [:]
        for argument in parameterOverrides {
            for word in argument.split(separator: " ", omittingEmptySubsequences: true) {
                let text = String(word)
                if text.hasPrefix("ParameterKey=") {
                    let fields = text.split(separator: ",", maxSplits: 1).map(String.init)
                    guard fields.count == 2, fields[1].hasPrefix("ParameterValue=") else {
                        throw ValidationError("--parameter-overrides: expected ParameterKey=K,ParameterValue=V, got \(text)")
                    }
                    result[String(fields[0].dropFirst("ParameterKey=".count))] = String(fields[1].dropFirst("ParameterValue=".count))
                    continue
                }
                guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                    throw ValidationError("--parameter-overrides: expected KEY=VALUE, got \(text)")
                }
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
        }
        return result
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let region = region ?? environment["AWS_REGION"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["AWS_DEFAULT_REGION"].flatMap { $0.isEmpty ? nil : $0 } ?? "us-east-1"
        let settings = TemplateSettings(
            stackName: stackName, region: region, parameterOverrides: try parsedParameters(),
            environmentOverrides: try envVars.map { try TemplateSettings.readEnvironmentFile($0) } ?? [:],
            distDirectory: dist, bootstrapOverrides: try parsedBootstraps()
        )
        let loaded: GatewayTemplate
        do {
            loaded = try TemplateReader.read(path: template, settings: settings)
        } catch {
            throw ValidationError("\(template): \(error)")
        }
        let gateway = Gateway(template: loaded, configuration: GatewayConfiguration(
            host: host, port: port, functionURLPort: functionURLPort, warm: warm, region: region, accessLog: !quiet
        ))

        signal(SIGPIPE, SIG_IGN)
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { Task { await gateway.shutdown() } }
            source.resume()
            sources.append(source)
        }

        let templatePath = template
        let host = host
        let warm = warm
        try withExtendedLifetime(sources) {
            try BlockingTask.run {
                let addresses: GatewayAddresses
                do {
                    addresses = try await gateway.start()
                } catch {
                    await gateway.shutdown()
                    throw GatewayStartFailure(description: "warden gateway: could not start: \(error)")
                }
                let banner = Self.banner(gateway, addresses, template: templatePath, host: host, warm: warm)
                FileHandle.standardOutput.write(Data((banner.joined(separator: "\n") + "\n").utf8))
                await gateway.waitUntilShutdown()
            }
        }
    }

    /// What is served where, what is not, and the template's warnings.
    static func banner(_ gateway: Gateway, _ addresses: GatewayAddresses, template path: String, host: String, warm: Int) -> [String] {
        let template = gateway.template
        let address = host.contains(":") ? "[\(host)]" : host
        var lines = ["warden gateway: \(path)"]
        if let port = addresses.apiPort {
            for api in template.apis {
                let routes = template.functions.flatMap(\.routes).filter { $0.apiLogicalID == api.logicalID }
                guard !routes.isEmpty else { continue }
                let base = "http://\(address):\(port)"
                let stage = api.hasNamedStage ? "\(base)/\(api.stageName) (or \(base))" : base
                lines.append("  \(api.kind.rawValue) API \(api.logicalID), payload \(routes[0].payloadFormat.rawValue), stage \(api.stageName): \(stage)")
                for route in routes.sorted(by: { ($0.path, $0.method) < ($1.path, $1.method) }) {
                    let method = route.method.padding(toLength: 8, withPad: " ", startingAt: 0)
                    lines.append("    \(method) \(route.path)  -> \(route.function)")
                }
                if let cors = api.cors { lines.append("    CORS: origins \(cors.allowOrigins.joined(separator: ","))") }
            }
        }
        for (function, port) in addresses.functionURLPorts {
            let mode = template.function(function)?.functionURL?.invokeMode.rawValue ?? "BUFFERED"
            lines.append("  Function URL \(function) (\(mode)): http://\(address):\(port)/")
        }
        for function in template.functions where function.isServed && (function.managedInstances || function.tenantIsolation) {
            var modes: [String] = []
            if function.managedInstances { modes.append("Managed Instances, max concurrency \(function.maxConcurrency)") }
            if function.tenantIsolation { modes.append("tenant isolation (PER_TENANT)") }
            lines.append("  \(function.name): \(modes.joined(separator: ", "))")
        }
        for function in template.functions {
            for schedule in function.schedules {
                lines.append("  scheduled, not served: \(function.name) \(schedule.expression)")
            }
        }
        for function in gateway.missingBootstraps {
            lines.append("warning: \(function.name): no executable at \(function.bootstrap); its routes answer as a failed integration")
        }
        for warning in template.warnings { lines.append("warning: \(warning)") }
        let served = template.functions.filter(\.isServed).count - gateway.missingBootstraps.count
        lines.append("warden gateway: ready (\(served) function\(served == 1 ? "" : "s"), \(warm) warm process\(warm == 1 ? "" : "es") each)")
        return lines
    }
}

/// A start-up failure (a port in use, …): reported without the usage text of a command-line mistake.
struct GatewayStartFailure: Error, CustomStringConvertible {
    let description: String
}
