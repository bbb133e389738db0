#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Emulator
import Platform
import Synchronization

/// Standard output shared by the gateway and every function process: whole lines, never interleaved.
final class ConsoleOutput: Sendable {
    private let lock = Mutex(())
    private let sink: (@Sendable ([UInt8]) -> Void)?

    /// `sink` nil writes to standard output.
    init(sink: (@Sendable ([UInt8]) -> Void)? = nil) {
        self.sink = sink
    }

    func write(_ bytes: [UInt8]) {
        lock.withLock { _ in
            if let sink {
                sink(bytes)
                return
            }
            Platform.writeStandardOutput(bytes)
        }
    }

    func line(_ text: String) { write(Array((text + "\n").utf8)) }

    /// A log destination that puts `prefix` in front of every line.
    func destination(prefix: String) -> LogDestination {
        let head = Array(prefix.utf8)
        return .custom { [self] bytes in self.write(head + bytes) }
    }
}

/// The warm processes of one function: `count` emulators started eagerly, each running the function's bootstrap
/// with its timeout, memory and environment. A request goes to an idle instance, else to the least busy one (where it
/// waits its turn, as the emulator serves one invocation at a time).
final class FunctionPool: Sendable {
    let definition: FunctionDefinition
    private let instances: [Emulator]
    private let busy: Mutex<[Int]>

    init(definition: FunctionDefinition, count: Int, region: String, output: ConsoleOutput) {
        self.definition = definition
        var instances: [Emulator] = []
        for index in 0..<max(count, 1) {
            let prefix = count > 1 ? "\(definition.name)#\(index + 1)" : definition.name
            instances.append(Emulator(configuration: EmulatorConfiguration(
                bootstrap: definition.bootstrap, host: "127.0.0.1", port: 0, timeout: definition.timeout,
                memorySize: definition.memorySize, functionName: definition.functionName, environment: definition.environment,
                region: region, eager: true, logDestination: output.destination(prefix: "[\(prefix)] ")
            )))
        }
        self.instances = instances
        self.busy = Mutex(Array(repeating: 0, count: instances.count))
    }

    var count: Int { instances.count }

    func start() async throws {
        for instance in instances { _ = try await instance.start() }
    }

    func shutdown() async {
        await withTaskGroup(of: Void.self) { group in
            for instance in instances { group.addTask { await instance.shutdown() } }
        }
    }

    /// Runs `body` with the chosen instance, counting it busy meanwhile.
    func withInstance<T: Sendable>(_ body: (Emulator) async throws -> T) async throws -> T {
        let index = busy.withLock { counts -> Int in
            var best = 0
            for candidate in counts.indices where counts[candidate] < counts[best] { best = candidate }
            counts[best] += 1
            return best
        }
        defer { busy.withLock { $0[index] -= 1 } }
        return try await body(instances[index])
    }

    func invoke(_ event: [UInt8]) async throws -> InvocationResult {
        try await withInstance { try await $0.invoke(event: event) }
    }
}

/// Awaits `work`, or `timeout` seconds, whichever comes first: nil on timeout. The work keeps running after a timeout
/// (as a Lambda invocation goes on after API Gateway gave up); its result is then dropped.
func withDeadline<T: Sendable>(seconds timeout: Double, _ work: @escaping @Sendable () async throws -> T) async throws -> T? {
    let once = Mutex<CheckedContinuation<T?, any Error>?>(nil)
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T?, any Error>) in
        once.withLock { $0 = continuation }
        let resume: @Sendable (Result<T?, any Error>) -> Void = { result in
            let waiting = once.withLock { state -> CheckedContinuation<T?, any Error>? in
                defer { state = nil }
                return state
            }
            waiting?.resume(with: result)
        }
        let sleeper = Task {
            try? await Task.sleep(nanoseconds: UInt64(max(timeout, 0) * 1_000_000_000))
            if !Task.isCancelled { resume(.success(nil)) }
        }
        Task {
            do {
                let value = try await work()
                sleeper.cancel()
                resume(.success(value))
            } catch {
                sleeper.cancel()
                resume(.failure(error))
            }
        }
    }
}
