/// A settable clock in milliseconds, for `FunctionSecrets(clock:)`.
final class TestClock {
    var now: Int64

    init(_ now: Int64 = 1_000_000) {
        self.now = now
    }

    /// Moves the clock forward.
    func advance(milliseconds: Int64) { now += milliseconds }
}
