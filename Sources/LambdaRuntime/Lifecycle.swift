internal import Platform
internal import Synchronization

/// How the process's workers end. SIGTERM makes the termination descriptor readable (`TerminationSignal`): every
/// worker's `/next` that has received nothing yet stops, a worker holding an invocation finishes it first, and each
/// worker then shuts its handler down and reports through ``finish()``; the last one ends the process with status 0.
///
/// Shared by every worker thread: its state is the process's termination flag and a counter under a mutex, so the
/// compiler checks it is `Sendable`. No thread waits for signals: a single-worker process stays single-threaded
/// (the C library's allocator and every lock in it keep their single-threaded fast paths).
final class Lifecycle: Sendable {
    /// More workers than this are not started, whatever `AWS_LAMBDA_MAX_CONCURRENCY` says.
    static let maxWorkers = 64

    /// How many workers the process runs.
    let workers: Int
    /// Readable once shutdown has begun: every worker's Runtime API multi handle watches it (`nil`: SIGTERM could
    /// not be handled and keeps its default action).
    let stopDescriptor: Int32?
    private let finished = Mutex(0)

    init(workers: Int, stopDescriptor: Int32?) {
        self.workers = workers
        self.stopDescriptor = stopDescriptor
    }

    /// Whether shutdown has begun.
    var isTerminating: Bool { TerminationSignal.isRequested }

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
