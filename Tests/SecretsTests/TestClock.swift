import Synchronization

/// A settable clock in milliseconds, for `FunctionSecrets(clock:)` (which may be read from any thread).
final class TestClock: Sendable {
    private let value: Mutex<Int64>

    init(_ now: Int64 = 1_000_000) {
        value = Mutex(now)
    }

    /// The time now.
    var now: Int64 { value.withLock { $0 } }

    /// Moves the clock forward.
    func advance(milliseconds: Int64) { value.withLock { $0 += milliseconds } }
}
