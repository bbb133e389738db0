/// Errors the emulator's API throws (function failures are not errors: they come back in ``InvocationResult``).
public enum EmulatorError: Error, CustomStringConvertible, Sendable, Equatable {
    /// ``Emulator/invoke(event:clientContext:cognitoIdentity:tenantID:capturesLog:)`` was called before ``Emulator/start()``.
    case notStarted
    /// ``Emulator/start()`` was called twice.
    case alreadyStarted
    /// The emulator is shutting down or has shut down; the invocation was not (or not completely) run.
    case shutDown
    /// The event is larger than Lambda's 6 MB (6,291,456 byte) synchronous payload limit.
    case payloadTooLarge(size: Int)
    /// A `--env` style assignment without `KEY=`.
    case invalidEnvironmentAssignment(String)
    /// Lambda Managed Instances: all of the function's concurrent invocations are busy; the Invoke API answers
    /// `429 TooManyRequestsException`.
    case tooManyRequests(maxConcurrency: Int)
    /// Tenant isolation mode: the invoke named no tenant; the Invoke API answers `400 InvalidParameterValueException`.
    case tenantIDRequired

    /// A one-line explanation for the command line.
    public var description: String {
        switch self {
        case .notStarted:
            return "the emulator has not been started"
        case .alreadyStarted:
            return "the emulator has already been started"
        case .shutDown:
            return "the emulator is shutting down"
        case .payloadTooLarge(let size):
            return "request payload of \(size) bytes exceeds the \(Limits.maximumPayload) byte limit"
        case .invalidEnvironmentAssignment(let text):
            return "invalid environment assignment '\(text)': expected KEY=VALUE"
        case .tooManyRequests(let maxConcurrency):
            return "all \(maxConcurrency) concurrent invocations of the function are busy (TooManyRequestsException)"
        case .tenantIDRequired:
            return "the function is in tenant isolation mode and the invoke names no tenant (InvalidParameterValueException)"
        }
    }
}
