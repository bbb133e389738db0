/// An error thrown while parsing JSON or while reading a value through one of the typed-throwing accessors.
///
/// The error deliberately carries no part of the input: its `description` names only the kind of problem and the
/// byte offset, so it can be logged even when the input holds secrets.
public struct JSONError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: Sendable, Hashable, CaseIterable {
        /// The input ended in the middle of a value.
        case unexpectedEnd
        /// A byte that cannot start or continue a value at this position (including `NaN`, `Infinity`, a byte-order
        /// mark, trailing commas and missing separators).
        case invalidSyntax
        /// A malformed number (leading zero, missing digits, `-Infinity`, ...).
        case invalidNumber
        /// A syntactically valid number that does not fit in a finite `Double` (for example `1e400`).
        case numberOutOfRange
        /// An unknown escape sequence or a malformed `\u` escape in a string.
        case invalidEscape
        /// A `\u` escape encoding an unpaired UTF-16 surrogate.
        case loneSurrogate
        /// An unescaped control character (U+0000 to U+001F) inside a string.
        case controlCharacter
        /// Bytes that are not well-formed UTF-8.
        case invalidUTF8
        /// Non-whitespace bytes after the top-level value.
        case trailingData
        /// Arrays and objects nested deeper than `JSONParseOptions.maxDepth`.
        case tooDeep
        /// The input is longer than `JSONParseOptions.maxBytes`.
        case tooLarge
        /// An object repeats a key while `JSONParseOptions.rejectDuplicateKeys` is set.
        case duplicateKey
        /// A value has a different type than the accessor requires.
        case typeMismatch
        /// An object has no value for the required key.
        case keyNotFound
    }

    /// What went wrong.
    public var code: Code

    /// Byte offset in the input where the problem was detected, or `nil` when the error does not come from parsing.
    public var offset: Int?

    /// Creates an error.
    public init(_ code: Code, offset: Int? = nil) {
        self.code = code
        self.offset = offset
    }

    /// A generic description naming the kind of error and its byte offset; never includes input content.
    public var description: String {
        if let offset {
            return "JSON error: \(code.summary) at byte offset \(offset)"
        }
        return "JSON error: \(code.summary)"
    }
}

extension JSONError.Code {
    /// Short fixed text for the code.
    var summary: String {
        switch self {
        case .unexpectedEnd: "unexpected end of input"
        case .invalidSyntax: "invalid syntax"
        case .invalidNumber: "invalid number"
        case .numberOutOfRange: "number out of range"
        case .invalidEscape: "invalid escape sequence"
        case .loneSurrogate: "unpaired UTF-16 surrogate escape"
        case .controlCharacter: "unescaped control character in string"
        case .invalidUTF8: "invalid UTF-8"
        case .trailingData: "unexpected data after the top-level value"
        case .tooDeep: "nesting too deep"
        case .tooLarge: "input too large"
        case .duplicateKey: "duplicate object key"
        case .typeMismatch: "type mismatch"
        case .keyNotFound: "key not found"
        }
    }
}
