/// Mutable state of a ``ChildProcess``, guarded by its lock.
struct ChildState: Sendable {
    /// Set once `wait4` has reaped the process: its pid may be reused from then on.
    var reaped = false
    /// The highest VmHWM read while it ran, in KiB.
    var sampledPeakKiB = 0
}
