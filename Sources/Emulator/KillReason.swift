/// Why the emulator killed (or is about to kill) a function process.
enum KillReason: Sendable {
    case timeout
    case initTimeout
    case initError
    case shutdown
    /// Tenant isolation: the process served another tenant and was retired for the next one.
    case tenantSwitch

    /// How the exit line names it.
    var text: String {
        switch self {
        case .timeout: return "killed after the invocation timed out"
        case .initTimeout: return "killed after the init timeout"
        case .initError: return "killed after /init/error"
        case .shutdown: return "shutdown"
        case .tenantSwitch: return "retired: the next invocation is another tenant's"
        }
    }
}
