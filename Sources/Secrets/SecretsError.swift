/// A failure to obtain a secret or setting. Its description names what was being read (a setting, a parameter name
/// or a secret id) and the kind of failure, never a value, a key or an endpoint URL.
public struct SecretsError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong.
    public enum Code: Sendable, Equatable, CaseIterable {
        /// Required settings are missing or invalid (no secret in the environment and no AWS credentials, no region…).
        case notConfigured
        /// The parameter or secret does not exist (`ParameterNotFound`, `ResourceNotFoundException`).
        case notFound
        /// AWS refused the credentials, the signature or the IAM policy (`AccessDeniedException`,
        /// `UnrecognizedClientException`, `InvalidSignatureException`, …).
        case accessDenied
        /// The service could not be reached or answered with a server error, throttling or a timeout; worth retrying.
        case unavailable
        /// The request was rejected as invalid, or the answer or the stored value could not be understood.
        case malformed
    }

    /// What went wrong.
    public let code: Code
    /// What was being read, e.g. `SSM parameter /copilot/hmac/v1` or the setting `DATABASE_URL`.
    public let subject: String
    /// Why, in words safe to log: an AWS error type, an HTTP status, a transport failure class or a missing setting.
    public let reason: String

    /// Creates an error; `subject` and `reason` must never hold a secret value.
    public init(_ code: Code, subject: String, reason: String) {
        self.code = code
        self.subject = subject
        self.reason = reason
    }

    /// One sentence naming the subject and the failure, safe to log.
    public var description: String {
        switch code {
        case .notConfigured: "\(subject) is not configured: \(reason)"
        case .notFound: "\(subject) was not found (\(reason))"
        case .accessDenied:
            "access denied reading \(subject) (\(reason)): check the AWS credentials, their region and the IAM policy"
        case .unavailable: "\(subject) is unavailable (\(reason))"
        case .malformed: "\(subject) could not be read (\(reason))"
        }
    }
}
