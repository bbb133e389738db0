public import LambdaRuntime

/// A function that cannot start (missing setting, unreadable secret), reported to `/init/error`. The message
/// names settings and parameters, never their values.
public struct InitializationError: Error, LambdaReportableError, CustomStringConvertible, Sendable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var lambdaErrorType: String { "Runtime.ConfigurationError" }
    public var lambdaErrorMessage: String { message }
    public var description: String { message }
}
