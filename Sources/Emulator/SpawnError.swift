/// `posix_spawn` (or the pipe set-up before it) failed; `reason` is the lowercase `strerror` text, as Go prints it.
struct SpawnError: Error, CustomStringConvertible, Sendable {
    var path: String
    var reason: String
    var description: String { "fork/exec \(path): \(reason)" }
}
