/// Mutable state of a ``ChildProcess``, guarded by its lock.
struct ChildState: Sendable {
    /// Set once `wait4` has reaped the process: its pid may be reused from then on.
    var reaped = false
    /// The highest VmHWM read while it ran, in KiB.
    var sampledPeakKiB = 0
    /// The read ends of its stdout/stderr pipes still open (closed under the lock, so never probed once reused).
    var outputFDs: [Int32] = []
    /// Bytes the reader threads have read from the pipes, and of those the bytes whose lines they have handed on.
    var outputBytesRead = 0
    var outputBytesForwarded = 0
}
