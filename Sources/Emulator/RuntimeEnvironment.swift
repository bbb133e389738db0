/// Builds the environment a function process starts with.
enum RuntimeEnvironment {
    /// Lambda's own `PATH` for custom runtimes, used when the emulator has none to pass on.
    static let lambdaPath = "/usr/local/bin:/usr/bin/:/bin:/opt/bin"

    /// The emulator's environment (if inherited), overridden by what Lambda sets, overridden by the explicit
    /// ``EmulatorConfiguration/environment``.
    static func make(
        configuration: EmulatorConfiguration,
        runtimeAPI: String,
        logStreamName: String,
        inherited: [String: String]
    ) -> [String: String] {
        var environment = configuration.inheritEnvironment ? inherited : [:]
        let taskRoot = configuration.taskRoot
        let region = configuration.effectiveRegion
        let lambda: [String: String] = [
            "AWS_LAMBDA_RUNTIME_API": runtimeAPI,
            "_HANDLER": configuration.handler,
            "LAMBDA_TASK_ROOT": taskRoot,
            "LAMBDA_RUNTIME_DIR": taskRoot,
            "AWS_LAMBDA_FUNCTION_NAME": configuration.functionName,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": String(configuration.memorySize),
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/\(configuration.functionName)",
            "AWS_LAMBDA_LOG_STREAM_NAME": logStreamName,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "PATH": inherited["PATH"].flatMap { $0.isEmpty ? nil : $0 } ?? lambdaPath,
            "LD_LIBRARY_PATH": inherited["LD_LIBRARY_PATH"].flatMap { $0.isEmpty ? nil : $0 }
                ?? "/lib64:/usr/lib64:\(taskRoot):\(taskRoot)/lib:/opt/lib",
        ]
        environment.merge(lambda) { _, lambdaValue in lambdaValue }
        // Lambda sets it for functions on Managed Instances (aws/aws-lambda-go#600); runtimes start that many workers.
        if configuration.isManagedInstances {
            environment["AWS_LAMBDA_MAX_CONCURRENCY"] = String(configuration.maxConcurrency)
        } else {
            environment.removeValue(forKey: "AWS_LAMBDA_MAX_CONCURRENCY")
        }
        environment.merge(configuration.environment) { _, explicit in explicit }
        return environment
    }
}
