import Platform
import Synchronization

/// Serialises whole lines to the configured destination with unbuffered `write(2)` calls, so the function's output
/// and the emulator's report lines never interleave mid-line and appear immediately even when piped.
final class LogSink: Sendable {
    private let destination: LogDestination
    private let lock = Mutex(())

    init(destination: LogDestination) {
        self.destination = destination
    }

    /// Writes `text` followed by a newline.
    func line(_ text: String) {
        emit(Array((text + "\n").utf8))
    }

    /// Writes `bytes` as they are (callers pass whole lines).
    func emit(_ bytes: [UInt8]) {
        lock.withLock { _ in
            switch destination {
            case .standardOutput: Platform.writeStandardOutput(bytes)
            case .standardError: Platform.writeStandardError(bytes)
            case .discard: break
            case .custom(let handler): handler(bytes)
            }
        }
    }
}
