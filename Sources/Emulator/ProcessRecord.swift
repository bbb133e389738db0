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
    /// Internal extensions the process registered (in registration order).
    var extensions: [RegisteredExtension] = []
    /// Tenant isolation: the tenant whose invocations this process serves (set by its first invocation).
    var tenantID: String?
    /// Managed Instances: invocations that timed out while the process went on working on them; each keeps a worker
    /// busy until its late answer arrives.
    var stale: Set<String> = []
    /// Whether the emulator sent SIGTERM (shutdown with a registered extension).
    var sentSIGTERM = false

    /// Whether the process may still be handed invocations.
    var isServing: Bool { killReason == nil && initError == nil }
}
