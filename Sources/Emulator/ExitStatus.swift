/// How a function process ended: a normal exit with a code, or death by a signal.
enum ExitStatus: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)

    /// Decodes a raw `wait` status word (the Linux/BSD layout: signal in the low 7 bits, exit code above).
    init(waitStatus: Int32) {
        let signal = waitStatus & 0x7f
        if signal == 0 {
            self = .exited((waitStatus >> 8) & 0xff)
        } else {
            self = .signaled(signal)
        }
    }

    /// The text Lambda uses after `Runtime exited with error: ` (Go's `os/exec` wording).
    var lambdaDescription: String {
        switch self {
        case .exited(let code):
            return "exit status \(code)"
        case .signaled(let signal):
            return "signal: \(Self.signalName(signal))"
        }
    }

    private static func signalName(_ signal: Int32) -> String {
        switch signal {
        case 1: return "hangup"
        case 2: return "interrupt"
        case 3: return "quit"
        case 4: return "illegal instruction"
        case 5: return "trace/breakpoint trap"
        case 6: return "aborted"
        case 7: return "bus error"
        case 8: return "floating point exception"
        case 9: return "killed"
        case 11: return "segmentation fault"
        case 13: return "broken pipe"
        case 14: return "alarm clock"
        case 15: return "terminated"
        default: return "signal \(signal)"
        }
    }
}
