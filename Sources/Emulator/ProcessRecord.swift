/// The emulator's view of the current function process.
struct ProcessRecord {
    var generation: Int
    var child: ChildProcess
    var spawnedAt: ContinuousClock.Instant
    /// When the process first called `/next` (end of its init phase).
    var firstNextAt: ContinuousClock.Instant?
    var initDurationMs: Double?
    var initDurationReported = false
    /// What the process posted to `/init/error`, if it did.
    var initError: PostedError?
    /// Set once the emulator has decided to kill the process; it serves nothing more.
    var killReason: KillReason?
    var initTimer: Task<Void, Never>?

    /// Whether the process may still be handed invocations.
    var isServing: Bool { killReason == nil && initError == nil }
}
