/// An invocation the function process is working on (one at a time, or up to the maximum concurrency on Managed
/// Instances).
struct InFlightInvocation {
    var pending: PendingInvocation
    /// The `Lambda-Runtime-Invocation-Id` `/next` handed out with it.
    var invocationID: String
    /// Generation of the process that took it.
    var generation: Int
    var startedAt: ContinuousClock.Instant
    /// Init Duration to report, when this is the process's first invocation.
    var initDurationMs: Double?
    var timer: Task<Void, Never>
    /// The streamed response, once the function has begun one.
    var stream: StreamProgress?

    var requestID: String { pending.requestID }
}
