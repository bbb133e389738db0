import ArgumentParser
import Emulator
import Foundation
import WardenCrypto

/// `warden invoke`: one invocation of a built function through the in-process emulator.
struct InvokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoke",
        abstract: "Invoke a built function once with an event file, through the Lambda emulator.",
        discussion: """
            The function binary is the first that exists of: --bootstrap, dist/FUNCTION/bootstrap, \
            .build/release/FUNCTION, .build/debug/FUNCTION. API Gateway proxy events are signed first \
            (X-Client, X-Timestamp, X-Signature) with --secret, else $HMAC_SECRET, else "local-dev-secret", and the \
            function gets that secret as HMAC_SECRET unless it is set already (an explicit --secret replaces an \
            inherited HMAC_SECRET; --env HMAC_SECRET=... wins over both). The response goes to standard output \
            (pretty-printed when it is JSON); the function's logs and the REPORT line go to standard error. Exit \
            status 1 means the invocation failed, 2 that it could not be run.
            """
    )

    @Argument(help: "Function (tool) name, e.g. calculate_health.")
    var function: String

    @Argument(help: "Event JSON file ('-' reads standard input).")
    var event: String

    @Option(help: "Function executable (default: dist/FUNCTION/bootstrap, .build/release/FUNCTION, .build/debug/FUNCTION).")
    var bootstrap: String?

    @Option(help: "Function timeout in seconds.")
    var timeout: Double = 3

    @Option(help: "Configured memory size in MB.")
    var memory: Int = 128

    @Option(help: "HMAC secret for signing API Gateway events (default: $HMAC_SECRET, else local-dev-secret).")
    var secret: String?

    @Option(name: .customLong("env"), help: ArgumentHelp("Environment variable for the function (repeatable).", valueName: "KEY=VALUE"))
    var environment: [String] = []

    @Option(name: .customLong("client-context"), help: "Client context JSON passed to the function.")
    var clientContext: String?

    @Option(name: .customLong("tenant-id"), help: "Tenant id of the invocation (X-Amz-Tenant-Id; Lambda-Runtime-Aws-Tenant-Id for the function).")
    var tenantID: String?

    @Flag(name: .customLong("no-sign"), help: "Send the event exactly as it is, without signing.")
    var noSign = false

    func validate() throws {
        guard timeout > 0, timeout <= 900 else { throw ValidationError("--timeout must be between 0 and 900 seconds.") }
        guard memory > 0 else { throw ValidationError("--memory must be positive.") }
        do {
            _ = try EmulatorConfiguration.parseEnvironmentAssignments(environment)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() throws {
        let executable = try locateExecutable()
        var payload = try readEvent()
        let processEnvironment = ProcessInfo.processInfo.environment
        var explicit = try EmulatorConfiguration.parseEnvironmentAssignments(environment)

        let signingSecret = secret ?? processEnvironment["HMAC_SECRET"] ?? EventSigner.defaultSecret
        if explicit["HMAC_SECRET"] == nil && (secret != nil || processEnvironment["HMAC_SECRET"] == nil) {
            explicit["HMAC_SECRET"] = signingSecret
        }
        if !noSign {
            let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
            let signed = EventSigner.sign(event: payload, secret: Array(signingSecret.utf8), timestampMilliseconds: now) { key, message in
                Crypto.hmacSHA256(key: key, message: message)
            }
            if let signed { payload = signed }
        }

        let configuration = EmulatorConfiguration(
            bootstrap: executable,
            timeout: timeout,
            memorySize: memory,
            functionName: function,
            environment: explicit,
            logDestination: .standardError
        )
        let emulator = Emulator(configuration: configuration)
        let event = payload
        let context = clientContext
        let tenant = tenantID.flatMap { $0.isEmpty ? nil : $0 }
        let result: InvocationResult
        do {
            result = try BlockingTask.run { () async throws -> InvocationResult in
                do {
                    _ = try await emulator.start()
                    let result = try await emulator.invoke(event: event, clientContext: context, tenantID: tenant)
                    await emulator.shutdown()
                    return result
                } catch {
                    await emulator.shutdown()
                    throw error
                }
            }
        } catch {
            throw Self.fail("\(error)")
        }
        FileHandle.standardOutput.write(Data(Self.display(result.body)))
        if result.isError { throw ExitCode(1) }
    }

    /// The first existing candidate executable.
    private func locateExecutable() throws -> String {
        let manager = FileManager.default
        if let bootstrap {
            guard manager.fileExists(atPath: bootstrap) else { throw Self.fail("no such file: \(bootstrap)") }
            return bootstrap
        }
        let candidates = ["dist/\(function)/bootstrap", ".build/release/\(function)", ".build/debug/\(function)"]
        if let found = candidates.first(where: { manager.fileExists(atPath: $0) }) { return found }
        throw Self.fail(
            "no executable for \(function): looked for \(candidates.joined(separator: ", ")). Build it first (swift build --product \(function)) or pass --bootstrap."
        )
    }

    private func readEvent() throws -> [UInt8] {
        if event == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        guard let data = FileManager.default.contents(atPath: event) else { throw Self.fail("cannot read event file \(event)") }
        return Array(data)
    }

    /// Reports a problem that kept the invocation from running and returns the exit status for it (2).
    private static func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("warden invoke: \(message)\n".utf8))
        return ExitCode(2)
    }

    /// The response as printed: pretty JSON when it parses, else the bytes as they are; always newline-terminated.
    private static func display(_ body: [UInt8]) -> [UInt8] {
        var output = body
        if let object = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]),
           let pretty = try? JSONSerialization.data(
               withJSONObject: object,
               options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]
           ) {
            output = Array(pretty)
        }
        if output.last != 0x0A { output.append(0x0A) }
        return output
    }
}
