internal import LambdaRuntime

/// The envelope error codes and their HTTP statuses. The copilot's front end knows the first four.
public enum ErrorCode: String, Sendable, CaseIterable {
    case invalidInput = "INVALID_INPUT"
    case unauthorized = "UNAUTHORIZED"
    case missingData = "MISSING_DATA"
    case toolFailure = "TOOL_FAILURE"
    case payloadTooLarge = "PAYLOAD_TOO_LARGE"
    case methodNotAllowed = "METHOD_NOT_ALLOWED"
    case rateLimited = "RATE_LIMITED"
    case forbidden = "FORBIDDEN"
    case notFound = "NOT_FOUND"
    case conflict = "CONFLICT"
    case unsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
    case tooManyConcurrent = "TOO_MANY_CONCURRENT_REQUESTS"
    /// The organization's enrichment budget (daily or monthly) cannot pay for the request.
    case budgetExceeded = "BUDGET_EXCEEDED"

    /// The HTTP status that carries this code.
    public var status: Int {
        switch self {
        case .invalidInput: 400
        case .unauthorized: 401
        case .missingData: 404
        case .toolFailure: 500
        case .payloadTooLarge: 413
        case .methodNotAllowed: 405
        case .rateLimited: 429
        case .forbidden: 403
        case .notFound: 404
        case .conflict: 409
        case .unsupportedMediaType: 415
        case .tooManyConcurrent: 429
        case .budgetExceeded: 429
        }
    }
}

/// The state of the caller's rate limit, for `meta.rateLimit` and `Retry-After`.
public struct RateLimitInfo: Sendable, Equatable {
    /// Requests per window.
    public var limit: Int
    /// Requests left now.
    public var remaining: Int
    /// When the bucket is full again, milliseconds since the Unix epoch.
    public var resetAtMilliseconds: Int64
    /// Seconds to wait before retrying, when refused.
    public var retryAfterSeconds: Int?

    public init(limit: Int, remaining: Int, resetAtMilliseconds: Int64, retryAfterSeconds: Int?) {
        self.limit = limit
        self.remaining = remaining
        self.resetAtMilliseconds = resetAtMilliseconds
        self.retryAfterSeconds = retryAfterSeconds
    }
}

/// An error a caller may see: a code and a message written for callers (never internals).
public struct EnvelopeError: Error, Sendable, Equatable {
    public let code: ErrorCode
    public let message: String
    /// Set on `RATE_LIMITED`.
    public var rateLimit: RateLimitInfo?
    /// Set on `METHOD_NOT_ALLOWED`: the route's methods, for the `Allow` header (RFC 9110 §15.5.6).
    public var allowedMethods: [String]?

    public init(_ code: ErrorCode, _ message: String, rateLimit: RateLimitInfo? = nil, allowedMethods: [String]? = nil) {
        self.code = code
        self.message = message
        self.rateLimit = rateLimit
        self.allowedMethods = allowedMethods
    }

    /// The one message every unexpected failure gets.
    public static let toolFailure = EnvelopeError(.toolFailure, "The tool failed to complete the request.")

    /// Maps any error to what the caller sees. The single place where internal errors become envelope errors.
    public static func from(_ error: any Error) -> EnvelopeError {
        (error as? EnvelopeError) ?? .toolFailure
    }
}
