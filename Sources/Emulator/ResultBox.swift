import Synchronization

/// A lock-protected slot that carries a result from a task to a blocked thread.
final class ResultBox<Value: Sendable>: Sendable {
    private let slot = Mutex<Result<Value, any Error>?>(nil)

    func set(_ result: Result<Value, any Error>) {
        slot.withLock { $0 = result }
    }

    /// The stored result; only called after the producer has signalled.
    func take() -> Result<Value, any Error> {
        slot.withLock { $0 } ?? .failure(EmulatorError.shutDown)
    }
}
