internal import Curl
internal import Platform
internal import Synchronization

/// How the process's workers end. SIGTERM (or a `SHUTDOWN` event) calls ``terminate()``: every worker's `/next`
/// that has received nothing yet is interrupted, a worker holding an invocation finishes it first, and each worker
/// then shuts its handler down and reports through ``finish()``; the last one ends the process with status 0.
///
/// Shared by every worker thread, the termination thread and the extension thread: its state is an atomic flag, a
/// counter under a mutex and the interrupts (thread-safe by construction), so the compiler checks it is `Sendable`.
final class Lifecycle: Sendable {
    /// More workers than this are not started, whatever `AWS_LAMBDA_MAX_CONCURRENCY` says.
    static let maxWorkers = 64

    /// How many workers the process runs.
    let workers: Int
    /// One per worker, for its Runtime API connection's `/next`.
    let interrupts: [CurlInterrupt]
    private let terminating = Atomic<Bool>(false)
    private let finished = Mutex(0)

    init(workers: Int) throws(LambdaRuntimeError) {
        self.workers = workers
        var interrupts: [CurlInterrupt] = []
        for _ in 0..<workers {
            do {
                interrupts.append(try CurlInterrupt())
            } catch {
                throw LambdaRuntimeError(.runtimeAPIUnavailable, detail: error.description)
            }
        }
        self.interrupts = interrupts
    }

    /// Whether shutdown has begun.
    var isTerminating: Bool { terminating.load(ordering: .acquiring) }

    /// Begins shutdown (once; later calls do nothing): interrupts every worker waiting on `/next`.
    func terminate() {
        guard !terminating.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for interrupt in interrupts { interrupt.fire() }
    }

    /// A worker has shut its handler down: the last one ends the process (status 0); the others wait for it.
    func finish() -> Never {
        let last = finished.withLock { count -> Bool in
            count += 1
            return count == workers
        }
        if last { Platform.exit(0) }
        Threads.park()
    }
}
