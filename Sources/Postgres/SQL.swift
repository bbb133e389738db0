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
        case .textArray(let items): Self.arrayLiteral(items) { Self.appendQuoted($0, to: &$1) }
        case .doubleArray(let items): Self.arrayLiteral(items) { $1.append(contentsOf: String($0).utf8) }
        }
    }

    /// `{e1,e2,…}`, each element written by `element`, built as bytes and made a string once.
    private static func arrayLiteral<Element>(_ items: [Element], _ element: (Element, inout [UInt8]) -> Void) -> String {
        var out: [UInt8] = [0x7B]
        out.reserveCapacity(2 + items.count * 8)
        for (position, item) in items.enumerated() {
            if position > 0 { out.append(0x2C) }
            element(item, &out)
        }
        out.append(0x7D)
        return String(decoding: out, as: UTF8.self)
    }

    /// An array element in double quotes, with `"` and `\` escaped: any text survives, commas and braces included.
    private static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(0x22)
        for b in s.utf8 {
            if b == 0x22 || b == 0x5C { out.append(0x5C) }
            out.append(b)
        }
        out.append(0x22)
    }
}
