/// What the operating system reported when a function process was reaped.
struct ChildExit: Sendable {
    /// Exit code or terminating signal.
    var status: ExitStatus
    /// Peak resident set size of the process, in KiB (`ru_maxrss`).
    var maxRSSKiB: Int
}
