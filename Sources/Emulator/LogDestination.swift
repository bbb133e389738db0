/// Where the emulator writes the function's output and its own `START`/`END`/`REPORT` lines.
public enum LogDestination: Sendable {
    /// The emulator's standard output (what `warden emulate` uses).
    case standardOutput
    /// The emulator's standard error (what `warden invoke` uses, keeping stdout for the response).
    case standardError
    /// Drop everything.
    case discard
    /// Hand every line, newline included, to a closure (tests, benchmarks). Called from several threads, one line at a time.
    case custom(@Sendable ([UInt8]) -> Void)
}
