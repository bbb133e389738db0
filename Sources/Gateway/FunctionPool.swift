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
/// with its timeout, memory, environment, concurrency (Managed Instances) and tenancy. A request goes to an instance
/// with a free worker, else to the least busy one (where it waits its turn in Lambda's default model, or is refused
/// on Managed Instances, whose environments reject an invoke when every worker is busy). In tenant isolation mode a
/// request prefers an instance that already serves its tenant, then one that has served none, as Lambda first looks
/// for an execution environment of the tenant.
final class FunctionPool: Sendable {
    /// What the pool knows of one instance.
    private struct Slot: Sendable {
        var busy = 0
        /// Tenant isolation: the tenant the instance served last.
        var tenantID: String?
    }

    let definition: FunctionDefinition
    private let instances: [Emulator]
    private let slots: Mutex<[Slot]>

    init(definition: FunctionDefinition, count: Int, region: String, output: ConsoleOutput) {
        self.definition = definition
        var instances: [Emulator] = []
        for index in 0..<max(count, 1) {
            let prefix = count > 1 ? "\(definition.name)#\(index + 1)" : definition.name
            instances.append(Emulator(configuration: EmulatorConfiguration(
                bootstrap: definition.bootstrap, host: "127.0.0.1", port: 0, timeout: definition.timeout,
                memorySize: definition.memorySize, functionName: definition.functionName, environment: definition.environment,
                region: region, eager: true, maxConcurrency: definition.maxConcurrency,
                managedInstances: definition.managedInstances, tenantIsolation: definition.tenantIsolation,
                logDestination: output.destination(prefix: "[\(prefix)] ")
            )))
        }
        self.instances = instances
        self.slots = Mutex(Array(repeating: Slot(), count: instances.count))
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
    func withInstance<T: Sendable>(tenantID: String? = nil, _ body: (Emulator) async throws -> T) async throws -> T {
        let workers = definition.managedInstances ? definition.maxConcurrency : 1
        let isolated = definition.tenantIsolation
        let index = slots.withLock { slots -> Int in
            var best = 0
            for candidate in slots.indices where Self.preference(slots[candidate], tenantID, isolated, workers) < Self.preference(slots[best], tenantID, isolated, workers) {
                best = candidate
            }
            slots[best].busy += 1
            if isolated { slots[best].tenantID = tenantID }
            return best
        }
        defer { slots.withLock { $0[index].busy -= 1 } }
        return try await body(instances[index])
    }

    /// Lower is better: a free worker first (of the tenant's instance, then of an unused one, then of any), then the
    /// least busy.
    private static func preference(_ slot: Slot, _ tenantID: String?, _ isolated: Bool, _ workers: Int) -> (Int, Int) {
        guard slot.busy < workers else { return (3, slot.busy) }
        guard isolated else { return (0, slot.busy) }
        if slot.tenantID == tenantID { return (0, slot.busy) }
        return (slot.tenantID == nil ? 1 : 2, slot.busy)
    }

    func invoke(_ event: [UInt8], tenantID: String? = nil) async throws -> InvocationResult {
        try await withInstance(tenantID: tenantID) { try await $0.invoke(event: event, tenantID: tenantID) }
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
