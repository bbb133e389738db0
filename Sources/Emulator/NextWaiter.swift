/// A `/next` long poll parked until an invocation is queued.
struct NextWaiter {
    /// Generation of the process that was current when the poll arrived.
    var generation: Int
    var continuation: CheckedContinuation<NextOutcome, Never>
}
