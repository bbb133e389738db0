internal import CWardenSystem

#if canImport(Glibc)
internal import Glibc
#endif

/// The process-level facilities a function needs — clocks, environment, output, signals — in one small wrapper,
/// so no other module calls C directly.
public enum Platform {
    /// Wall clock in milliseconds since the Unix epoch.
    public static func nowMilliseconds() -> Int64 { warden_now_ms() }

    /// Monotonic clock in nanoseconds, for durations.
    public static func monotonicNanoseconds() -> UInt64 { warden_monotonic_ns() }

    /// The value of environment variable `name`, or `nil` when it is unset.
    public static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    /// Sets environment variable `name` to `value`, or removes it when `value` is `nil`.
    public static func setEnvironment(_ name: String, _ value: String?) {
        if let value {
            _ = warden_setenv(name, value)
        } else {
            _ = warden_setenv(name, nil)
        }
    }

    /// Writes `bytes` to standard output in one `write(2)` where possible (log lines must not interleave).
    public static func writeStandardOutput(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { _ = warden_write_all(1, $0.baseAddress, $0.count) }
    }

    /// Writes `bytes` to standard error.
    public static func writeStandardError(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { _ = warden_write_all(2, $0.baseAddress, $0.count) }
    }

    /// Ends the process at once with `code`.
    public static func exit(_ code: Int32) -> Never { warden_exit(code) }

    /// This process's id.
    public static var processID: Int32 { warden_getpid() }
}

/// SIGTERM handling for the invocation loop: an idle process exits 0 at once; a busy one finishes its invocation.
public enum TerminationSignal {
    /// Installs the handler. Call once, before the loop starts.
    public static func install() { _ = warden_install_sigterm() }

    /// Marks the start (`true`) or end (`false`) of an invocation. Returns `true` when SIGTERM has arrived.
    @discardableResult
    public static func setBusy(_ busy: Bool) -> Bool { warden_set_busy(busy ? 1 : 0) != 0 }
}
