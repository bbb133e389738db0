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

    /// Sets environment variable `name` to `value`, or removes it when `value` is `nil`. Setting the same variable once
    /// per invocation (the trace id) reuses one buffer, so it does not grow the heap as glibc's `setenv` does.
    public static func setEnvironment(_ name: String, _ value: String?) {
        // `withCString` lends a native string's own bytes; passing a `String` where C wants a pointer copies it.
        name.withCString { name in
            if let value {
                _ = value.withCString { warden_setenv(name, $0) }
            } else {
                _ = warden_setenv(name, nil)
            }
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

    /// Bytes of the malloc heap in use now (allocated and not freed).
    public static var heapBytesInUse: Int { Int(warden_heap_in_use()) }

    /// This process's id.
    public static var processID: Int32 { warden_getpid() }
}

/// Threads for the invocation loop's workers (Lambda Managed Instances run several invocations per process).
public enum Threads {
    /// Runs `body` on a new detached thread. Returns `false` when the system could not start one.
    public static func start(_ body: sending @escaping () -> Void) -> Bool {
        let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        guard warden_thread_start(runThreadBody, box) == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(box).release()
            return false
        }
        return true
    }

    /// Blocks the calling thread for good: another thread ends the process.
    public static func park() -> Never { warden_park() }
}

/// SIGTERM, turned into something a poll can wait for: Lambda sends it at shutdown when an extension is registered
/// (`warden emulate` does the same). No thread is started for it, so a single-worker process stays single-threaded.
public enum TerminationSignal {
    /// Installs the handler. Returns a file descriptor that becomes readable at SIGTERM (and stays so), for a poll to
    /// watch; `nil` when it could not be set up (SIGTERM then keeps its default action: the process ends at once).
    public static func install() -> Int32? {
        let fd = warden_termination_install()
        return fd >= 0 ? fd : nil
    }

    /// Whether SIGTERM has arrived.
    public static var isRequested: Bool { warden_termination_requested() != 0 }
}

/// A closure on its way to another thread, through C's `void *`.
private final class ThreadBody {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

private func runThreadBody(_ raw: UnsafeMutableRawPointer?) {
    guard let raw else { return }
    Unmanaged<ThreadBody>.fromOpaque(raw).takeRetainedValue().body()
}
