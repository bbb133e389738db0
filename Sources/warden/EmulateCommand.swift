import ArgumentParser
import Dispatch
import Emulator
import Foundation

/// `warden emulate`: serves the Lambda Runtime API and an RIE-style invoke endpoint for one function executable.
struct EmulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulate",
        abstract: "Run a function executable behind a local AWS Lambda Runtime API emulator.",
        discussion: """
            Serves on one port both the Runtime API the function talks to (/2018-06-01/runtime/...) and an \
            RIE-style invoke endpoint:

              curl -d @event.json http://127.0.0.1:PORT/2015-03-31/functions/function/invocations

            The function process is started on the first invoke (or at once with --eager), gets Lambda's \
            environment, serves one invocation at a time, is killed on timeout and replaced after a crash. Its \
            output and START/END/REPORT lines go to standard output. Arguments after `--` are passed to the \
            executable.

            --max-concurrency N (N > 1, or --managed-instances) models Lambda Managed Instances: the process gets \
            AWS_LAMBDA_MAX_CONCURRENCY=N and up to N invocations at once (one per /next poll); an invoke beyond N \
            while all are busy is refused 429 TooManyRequestsException; a timed-out invocation is answered with \
            the timeout error but the process is not killed, and its late answer gets 410. --tenant-isolation \
            (TenantIsolationMode PER_TENANT) refuses an invoke without X-Amz-Tenant-Id (400 \
            InvalidParameterValueException) and gives each tenant a process of its own. The invoke endpoint \
            honours X-Amz-Log-Type: Tail (X-Amz-Log-Result), and the Extensions API serves internal extensions; \
            the process is stopped as Lambda does (SIGTERM, SIGKILL after 500 ms, when an extension registered; \
            else SIGKILL). docs/EMULATOR.md has the details.
            """
    )

    @Option(help: "Executable to run as the function (a bootstrap, or any runtime script).")
    var bootstrap: String

    @Option(help: "Port to serve on; 0 picks a free one (printed at start).")
    var port: Int = 0

    @Option(help: "Address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "Function timeout in seconds.")
    var timeout: Double = 3

    @Option(help: "Configured memory size in MB.")
    var memory: Int = 128

    @Option(name: .customLong("function-name"), help: "Function name (default: the bootstrap's directory name, or its file name).")
    var functionName: String?

    @Option(help: "Value of _HANDLER.")
    var handler: String = "bootstrap"

    @Option(name: .customLong("env"), help: ArgumentHelp("Environment variable for the function, overriding everything else (repeatable).", valueName: "KEY=VALUE"))
    var environment: [String] = []

    @Flag(help: "Start the function process now instead of on the first invoke.")
    var eager = false

    @Option(name: .customLong("max-concurrency"), help: "Invocations in flight at once in the function process (Lambda Managed Instances' PerExecutionEnvironmentMaxConcurrency); above 1 implies --managed-instances.")
    var maxConcurrency = 1

    @Flag(name: .customLong("managed-instances"), help: "Lambda Managed Instances semantics even at --max-concurrency 1.")
    var managedInstances = false

    @Flag(name: .customLong("tenant-isolation"), help: "Tenant isolation mode (PER_TENANT): invokes must carry X-Amz-Tenant-Id; one process per tenant.")
    var tenantIsolation = false

    @Argument(parsing: .postTerminator, help: "Arguments for the executable (after --).")
    var arguments: [String] = []

    func validate() throws {
        guard timeout > 0, timeout <= 900 else { throw ValidationError("--timeout must be between 0 and 900 seconds.") }
        guard memory > 0 else { throw ValidationError("--memory must be positive.") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535.") }
        // PerExecutionEnvironmentMaxConcurrency's valid range (https://docs.aws.amazon.com/lambda/latest/api/API_LambdaManagedInstancesCapacityProviderConfig.html).
        guard (1...1600).contains(maxConcurrency) else { throw ValidationError("--max-concurrency must be between 1 and 1600.") }
        guard FileManager.default.fileExists(atPath: bootstrap) else { throw ValidationError("No such file: \(bootstrap)") }
        do {
            _ = try EmulatorConfiguration.parseEnvironmentAssignments(environment)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() throws {
        let configuration = EmulatorConfiguration(
            bootstrap: bootstrap,
            arguments: arguments,
            host: host,
            port: port,
            timeout: timeout,
            memorySize: memory,
            functionName: functionName,
            handler: handler,
            environment: try EmulatorConfiguration.parseEnvironmentAssignments(environment),
            eager: eager,
            maxConcurrency: maxConcurrency,
            managedInstances: managedInstances,
            tenantIsolation: tenantIsolation
        )
        let emulator = Emulator(configuration: configuration)

        // Signals become a graceful shutdown; the child gets default dispositions back at spawn.
        signal(SIGPIPE, SIG_IGN)
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { Task { await emulator.shutdown() } }
            source.resume()
            sources.append(source)
        }

        try withExtendedLifetime(sources) {
            try BlockingTask.run {
                let port = try await emulator.start()
                let address = configuration.host.contains(":") ? "[\(configuration.host)]:\(port)" : "\(configuration.host):\(port)"
                var mode = configuration.isManagedInstances ? "Managed Instances, max concurrency \(configuration.maxConcurrency)" : "on-demand"
                if configuration.tenantIsolation { mode += ", tenant isolation" }
                let banner = """
                    warden emulate: listening on \(address) (function \(configuration.functionName), bootstrap \(configuration.bootstrap), \(mode))
                    warden emulate: invoke with: curl -sS -d @event.json http://\(address)/2015-03-31/functions/function/invocations

                    """
                FileHandle.standardOutput.write(Data(banner.utf8))
                await emulator.waitUntilShutdown()
            }
        }
    }
}
