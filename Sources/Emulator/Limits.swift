/// Lambda's fixed limits that the emulator enforces.
enum Limits {
    /// Maximum synchronous invoke request and response payload: 6 MB.
    static let maximumPayload = 6_291_456
    /// Maximum streamed response: 20 MiB; the rest of a longer stream is discarded and the invocation fails with
    /// `Function.ResponseSizeTooLarge`.
    static let maximumStreamedResponse = 20_971_520
    /// How long a process that posted `/init/error` may take to exit on its own before it is killed, in seconds.
    static let initErrorExitGrace = 1.0
    /// How long, after the function process died during an invocation, the emulator waits at most for its
    /// connections to be read to their end before it reports `Runtime.ExitError`, in seconds.
    static let exitDrainGrace = 0.5
    /// How long shutdown waits after SIGTERM before SIGKILL, in seconds.
    static let shutdownGrace = 2.0
}
