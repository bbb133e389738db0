import Dispatch
import Synchronization

/// Runs async work to completion from synchronous code (a `ParsableCommand.run()` under a synchronous root command).
public enum BlockingTask {
    /// Runs `body` on the global concurrent executor and blocks the calling thread until it finishes.
    /// Never call it from a thread the body itself needs (e.g. the main actor when the body hops to it).
    public static func run<Value: Sendable>(_ body: @escaping @Sendable () async throws -> Value) throws -> Value {
        let box = ResultBox<Value>()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do {
                box.set(.success(try await body()))
            } catch {
                box.set(.failure(error))
            }
            done.signal()
        }
        done.wait()
        return try box.take().get()
    }
}
