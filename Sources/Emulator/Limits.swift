/// Lambda's fixed limits that the emulator enforces.
enum Limits {
    /// Maximum synchronous invoke request and response payload: 6 MB.
    static let maximumPayload = 6_291_456
    /// How long a process that posted `/init/error` may take to exit on its own before it is killed, in seconds.
    static let initErrorExitGrace = 1.0
    /// How long shutdown waits after SIGTERM before SIGKILL, in seconds.
    static let shutdownGrace = 2.0
}
