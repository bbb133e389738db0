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
    /// A `text[]` (cast the parameter: `$1::text[]`).
    case textArray([String])
    /// A `double precision[]` (cast the parameter: `$1::float8[]`).
    case doubleArray([Double])

    /// The value in PostgreSQL's text input format, or `nil` for SQL NULL.
    var textForm: String? {
        switch self {
        case .null: nil
        case .text(let s): s
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .bool(let b): b ? "t" : "f"
        case .textArray(let items): "{" + items.map(Self.quotedArrayElement).joined(separator: ",") + "}"
        case .doubleArray(let items): "{" + items.map { String($0) }.joined(separator: ",") + "}"
        }
    }

    /// An array element in double quotes, with `"` and `\` escaped: any text survives, commas and braces included.
    private static func quotedArrayElement(_ s: String) -> String {
        var out: [UInt8] = [0x22]
        for b in s.utf8 {
            if b == 0x22 || b == 0x5C { out.append(0x5C) }
            out.append(b)
        }
        out.append(0x22)
        return String(decoding: out, as: UTF8.self)
    }
}
