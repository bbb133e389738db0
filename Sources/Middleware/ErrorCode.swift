/// An envelope error code and the HTTP status that carries it. Open: a feature library adds its own codes as static
/// constants in an `extension ErrorCode` (the enrichment budget's `BUDGET_EXCEEDED` lives in Sources/Enrichment);
/// the framework's are below. The copilot's front end knows the first four.
public struct ErrorCode: Sendable, Hashable, CustomStringConvertible {
    /// The code as callers see it, e.g. `INVALID_INPUT`.
    public let rawValue: String
    /// The HTTP status of a response carrying this code.
    public let status: Int

    public init(_ rawValue: String, status: Int) {
        self.rawValue = rawValue
        self.status = status
    }

    public var description: String { rawValue }

    /// Codes are equal by name.
    public static func == (a: ErrorCode, b: ErrorCode) -> Bool { a.rawValue == b.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    public static let invalidInput = ErrorCode("INVALID_INPUT", status: 400)
    public static let unauthorized = ErrorCode("UNAUTHORIZED", status: 401)
    public static let missingData = ErrorCode("MISSING_DATA", status: 404)
    public static let toolFailure = ErrorCode("TOOL_FAILURE", status: 500)
    public static let payloadTooLarge = ErrorCode("PAYLOAD_TOO_LARGE", status: 413)
    public static let methodNotAllowed = ErrorCode("METHOD_NOT_ALLOWED", status: 405)
    public static let rateLimited = ErrorCode("RATE_LIMITED", status: 429)
    public static let forbidden = ErrorCode("FORBIDDEN", status: 403)
    public static let notFound = ErrorCode("NOT_FOUND", status: 404)
    public static let conflict = ErrorCode("CONFLICT", status: 409)
    public static let unsupportedMediaType = ErrorCode("UNSUPPORTED_MEDIA_TYPE", status: 415)
    public static let tooManyConcurrent = ErrorCode("TOO_MANY_CONCURRENT_REQUESTS", status: 429)

    /// The framework's own codes.
    public static let framework: [ErrorCode] = [
        .invalidInput, .unauthorized, .missingData, .toolFailure, .payloadTooLarge, .methodNotAllowed, .rateLimited,
        .forbidden, .notFound, .conflict, .unsupportedMediaType, .tooManyConcurrent,
    ]
}
