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
