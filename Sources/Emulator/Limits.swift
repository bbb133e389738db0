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
    /// How long shutdown waits for a killed process to be reaped, in seconds.
    static let shutdownGrace = 2.0
    /// The shutdown phase of a function whose extensions are all internal: SIGTERM, then SIGKILL after 500 ms
    /// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html, "Shutdown phase").
    static let internalExtensionShutdownGrace = 0.5
    /// The Extensions API's limit on registered extensions.
    static let maximumExtensions = 10
    /// `X-Amz-Log-Result`: the last 4 KB of the invocation's log.
    static let logTailBytes = 4096
    /// How many timed-out request ids are remembered, so that their late answers get `410` rather than `400`.
    static let rememberedTimeouts = 1024
    /// How long an answer waits at most for the function's output written before it to be read, in seconds.
    static let outputDrainWait = 0.25
}
