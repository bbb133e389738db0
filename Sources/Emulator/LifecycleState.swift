/// An ``Emulator``'s phase and the tasks waiting for it to finish shutting down, guarded together.
struct LifecycleState: Sendable {
    var phase: EmulatorPhase = .idle
    var shutdownWaiters: [CheckedContinuation<Void, Never>] = []
}
