/// Why the emulator killed (or is about to kill) a function process.
enum KillReason: Sendable {
    case timeout
    case initTimeout
    case initError
    case shutdown
}
