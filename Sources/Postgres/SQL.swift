/// A SQL statement whose text is a compile-time literal.
///
/// Values never enter the text: they travel separately as bound parameters (`$1`, `$2`, …). Because the text is a
/// `StaticString`, a statement cannot be assembled from runtime strings — string-built SQL does not compile.
public struct SQL: Sendable {
    /// The statement text, with `$n` placeholders.
    public let text: StaticString

    /// Creates a statement from a literal.
    public init(_ text: StaticString) { self.text = text }

    var string: String { text.withUTF8Buffer { String(decoding: $0, as: UTF8.self) } }
}

/// A value bound to a statement parameter. Every value is sent in text form with its type left to the server,
/// except where the statement casts it (`$2::int`).
public enum PGValue: Sendable, Equatable {
    case null
    case text(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)

    /// The value in PostgreSQL's text input format, or `nil` for SQL NULL.
    var textForm: String? {
        switch self {
        case .null: nil
        case .text(let s): s
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .bool(let b): b ? "t" : "f"
        }
    }
}
