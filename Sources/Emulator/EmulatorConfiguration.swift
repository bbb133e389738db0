import Foundation
public import Logging

/// Everything the emulator needs to run one function: which executable, how to serve the Runtime API, and the
/// Lambda settings (timeout, memory, name, handler, environment) the function process sees.
public struct EmulatorConfiguration: Sendable {
    /// Path of the executable to run as the function (a Swift `bootstrap`, a shell script, anything). A relative path
    /// is resolved against the current directory when the configuration is created.
    public var bootstrap: String
    /// Arguments passed to the executable after argv[0]. Default: none.
    public var arguments: [String]
    /// Address the HTTP server binds. Default `127.0.0.1`.
    public var host: String
    /// TCP port the HTTP server binds; 0 picks a free one (see ``Emulator/start()``'s result). Default 0.
    public var port: Int
    /// Function timeout in seconds, counted from the moment `/next` hands out the event. Default 3.
    public var timeout: Double
    /// How long a fresh process may take from spawn to its first `/next` before it is killed. Default 10 (as AWS).
    public var initTimeout: Double
    /// Configured memory in MB (reported as `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` and on `REPORT` lines). Default 128.
    public var memorySize: Int
    /// The function's name (ARN, log group, `AWS_LAMBDA_FUNCTION_NAME`).
    public var functionName: String
    /// Value of `_HANDLER`. Default `bootstrap`.
    public var handler: String
    /// Explicit environment variables; these win over everything, including the variables Lambda sets.
    public var environment: [String: String]
    /// Whether the emulator's own environment is passed through to the function (below the Lambda-set variables).
    /// Default true.
    public var inheritEnvironment: Bool
    /// Region for the ARN and `AWS_REGION`; nil means the emulator's `AWS_REGION`, else `AWS_DEFAULT_REGION`, else
    /// `us-east-1`.
    public var region: String?
    /// Start the function process in ``Emulator/start()`` rather than on the first invoke. Default false.
    public var eager: Bool
    /// How many invocations the function process runs at once (Lambda Managed Instances'
    /// `PerExecutionEnvironmentMaxConcurrency`). Default 1. Above 1 the emulator is in Managed-Instances mode.
    public var maxConcurrency: Int
    /// Lambda Managed Instances semantics even at a concurrency of 1: `AWS_LAMBDA_MAX_CONCURRENCY` is set, an invoke
    /// beyond ``maxConcurrency`` is refused (`429 TooManyRequestsException`) instead of queued, and a timed-out
    /// invocation is answered with the timeout error without killing the process. Implied by ``maxConcurrency`` > 1.
    public var managedInstances: Bool
    /// Tenant isolation mode (`TenancyConfig: {TenantIsolationMode: PER_TENANT}`): every invoke must name its tenant
    /// (`X-Amz-Tenant-Id`), and a function process only ever serves the tenant of its first invocation.
    public var tenantIsolation: Bool
    /// Where function output and `START`/`END`/`REPORT` lines go. Default standard output.
    public var logDestination: LogDestination
    /// Logger for the emulator's own diagnostics (connection errors, spawn failures).
    public var logger: Logger

    /// Creates a configuration; only the bootstrap is required.
    public init(
        bootstrap: String,
        arguments: [String] = [],
        host: String = "127.0.0.1",
        port: Int = 0,
        timeout: Double = 3,
        initTimeout: Double = 10,
        memorySize: Int = 128,
        functionName: String? = nil,
        handler: String = "bootstrap",
        environment: [String: String] = [:],
        inheritEnvironment: Bool = true,
        region: String? = nil,
        eager: Bool = false,
        maxConcurrency: Int = 1,
        managedInstances: Bool = false,
        tenantIsolation: Bool = false,
        logDestination: LogDestination = .standardOutput,
        logger: Logger = Logger(label: "warden.emulator")
    ) {
        let absolute = URL(fileURLWithPath: bootstrap).standardizedFileURL.path
        self.bootstrap = absolute
        self.arguments = arguments
        self.host = host
        self.port = port
        self.timeout = timeout
        self.initTimeout = initTimeout
        self.memorySize = memorySize
        self.functionName = functionName ?? Self.defaultFunctionName(forBootstrap: absolute)
        self.handler = handler
        self.environment = environment
        self.inheritEnvironment = inheritEnvironment
        self.region = region
        self.eager = eager
        self.maxConcurrency = max(1, maxConcurrency)
        self.managedInstances = managedInstances
        self.tenantIsolation = tenantIsolation
        self.logDestination = logDestination
        self.logger = logger
    }

    /// Whether the emulator follows Lambda Managed Instances (see ``managedInstances``).
    public var isManagedInstances: Bool {
        managedInstances || maxConcurrency > 1
    }

    /// The directory holding the bootstrap: `LAMBDA_TASK_ROOT` and the process's working directory.
    public var taskRoot: String {
        URL(fileURLWithPath: bootstrap).deletingLastPathComponent().path
    }

    /// The region in effect: ``region``, else the emulator's `AWS_REGION`, `AWS_DEFAULT_REGION`, else `us-east-1`.
    public var effectiveRegion: String {
        if let region, !region.isEmpty { return region }
        let environment = ProcessInfo.processInfo.environment
        if let region = environment["AWS_REGION"], !region.isEmpty { return region }
        if let region = environment["AWS_DEFAULT_REGION"], !region.isEmpty { return region }
        return "us-east-1"
    }

    /// The function name Lambda tooling would infer: the parent directory's name for a file called `bootstrap`
    /// (`dist/calculate_health/bootstrap` → `calculate_health`), otherwise the file's own name.
    public static func defaultFunctionName(forBootstrap path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let file = url.lastPathComponent
        if file == "bootstrap" {
            let parent = url.deletingLastPathComponent().lastPathComponent
            if !parent.isEmpty && parent != "/" { return parent }
        }
        return file.isEmpty ? "function" : file
    }

    /// Parses repeated `KEY=VALUE` options (the value may contain `=`, may be empty; the key may not).
    public static func parseEnvironmentAssignments(_ assignments: [String]) throws(EmulatorError) -> [String: String] {
        var result: [String: String] = [:]
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw EmulatorError.invalidEnvironmentAssignment(assignment)
            }
            result[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...])
        }
        return result
    }
}
