internal import LambdaRuntime

/// Why a run was refused or failed, reported to Lambda as the invocation's error (so the schedule's `Errors` metric
/// and retries see it). Messages name the problem, never data or internals.
struct RetentionError: Error, LambdaReportableError, CustomStringConvertible {
    enum Code: String {
        /// The event is not a schedule event with a valid `time`: nothing was done.
        case invalidEvent = "Retention.InvalidEvent"
        /// The sweep could not run or finish (database, configuration); batches already committed stay committed and
        /// are in the audit row.
        case sweepFailed = "Retention.SweepFailed"
    }

    let code: Code
    let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var lambdaErrorType: String { code.rawValue }
    var lambdaErrorMessage: String { message }
    var description: String { "\(code.rawValue): \(message)" }
}
