internal import LambdaRuntime

/// The envelope error codes and their HTTP statuses. The copilot's front end knows the first four.
public enum ErrorCode: String, Sendable, CaseIterable {
    case invalidInput = "INVALID_INPUT"
    case unauthorized = "UNAUTHORIZED"
    case missingData = "MISSING_DATA"
    case toolFailure = "TOOL_FAILURE"
    case payloadTooLarge = "PAYLOAD_TOO_LARGE"
    case methodNotAllowed = "METHOD_NOT_ALLOWED"

    /// The HTTP status that carries this code.
    public var status: Int {
        switch self {
        case .invalidInput: 400
        case .unauthorized: 401
        case .missingData: 404
        case .toolFailure: 500
        case .payloadTooLarge: 413
        case .methodNotAllowed: 405
        }
    }
}

/// An error a caller may see: a code and a message written for callers (never internals).
public struct EnvelopeError: Error, Sendable, Equatable {
    public let code: ErrorCode
    public let message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The one message every unexpected failure gets.
    public static let toolFailure = EnvelopeError(.toolFailure, "The tool failed to complete the request.")

    /// Maps any error to what the caller sees. The single place where internal errors become envelope errors.
    public static func from(_ error: any Error) -> EnvelopeError {
        (error as? EnvelopeError) ?? .toolFailure
    }
}
