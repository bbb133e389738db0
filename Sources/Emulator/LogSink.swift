#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
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
        let fd: Int32
        switch destination {
        case .standardOutput:
            fd = 1
        case .standardError:
            fd = 2
        case .discard:
            return
        case .custom(let handler):
            lock.withLock { _ in handler(bytes) }
            return
        }
        lock.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { buffer in
                    write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                }
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}
