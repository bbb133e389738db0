import Synchronization

/// Collects the warnings `FunctionSecrets` emits (from any thread).
final class WarningLog: Sendable {
    private let recorded = Mutex<[String]>([])

    /// Every warning so far, in order.
    var messages: [String] { recorded.withLock { $0 } }

    func record(_ message: String) { recorded.withLock { $0.append(message) } }
}
