internal import Bytes

/// A fast streaming writer producing compact JSON into a byte buffer, without building a `JSON` tree.
///
/// Commas are inserted automatically: call `key(_:)` before each member value inside an object, and the value
/// methods for array elements and member values. The writer does not check nesting (balanced begin/end calls and keys
/// only inside objects are the caller's responsibility); it always produces correct escaping and number syntax.
///
/// ```swift
/// var writer = JSONWriter()
/// writer.beginObject()
/// writer.key("statusCode"); writer.int(200)
/// writer.key("body"); writer.string("ok")
/// writer.endObject()
/// let bytes = writer.bytes // {"statusCode":200,"body":"ok"}
/// ```
public struct JSONWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]
    /// Whether the next value or key follows a complete value and needs a comma first.
    private var needsComma = false

    /// Creates a writer with room for `capacity` bytes.
    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// The bytes written so far, as a string.
    public var text: String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// Clears the output, keeping the buffer's capacity.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        needsComma = false
    }

    // MARK: Structure

    /// Writes `{`.
    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    /// Writes `}`.
    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// Writes `[`.
    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    /// Writes `]`.
    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes a member key and `:`; the member value must follow.
    public mutating func key(_ key: String) {
        writeQuoted(key, suffix: UInt8(ascii: ":"))
        needsComma = false
    }

    // MARK: Values

    /// Writes a string value, escaped.
    public mutating func string(_ value: String) {
        writeQuoted(value, suffix: nil)
        needsComma = true
    }

    /// Writes a member whose value is a string: `key(key)` then `string(value)` in one step.
    public mutating func member(_ key: String, string value: String) {
        var key = key
        var value = value
        let comma = needsComma
        key.withUTF8 { key in
            value.withUTF8 { value in
                let keyCount = Self.escapedCount(key)
                let valueCount = Self.escapedCount(value)
                bytes.append(addingCapacity: (comma ? 1 : 0) + keyCount + valueCount + 5) { out in
                    if comma {
                        out.append(UInt8(ascii: ","))
                    }
                    Self.writeQuoted(key, escapedCount: keyCount, into: &out)
                    out.append(UInt8(ascii: ":"))
                    Self.writeQuoted(value, escapedCount: valueCount, into: &out)
                }
            }
        }
        needsComma = true
    }

    /// Writes UTF-8 bytes as a string value, escaped, exactly as `string(String(decoding: utf8, as: UTF8.self))`
    /// would: well-formed text is copied without a `String` in between; an ill-formed sequence makes the whole value
    /// go through `String(decoding:as:)`, which replaces it with U+FFFD.
    public mutating func string(utf8: [UInt8]) {
        let wellFormed = utf8.withUnsafeBufferPointer { writeQuoted($0, suffix: nil, validating: true) }
        if !wellFormed {
            writeQuoted(String(decoding: utf8, as: UTF8.self), suffix: nil)
        }
        needsComma = true
    }

    /// Writes an integer value.
    public mutating func int(_ value: Int64) {
        writeInteger(magnitude: value.magnitude, negative: value < 0)
    }

    /// Writes an integer value.
    public mutating func int(_ value: Int) {
        int(Int64(value))
    }

    /// Writes an unsigned integer value (exact, also above `Int64.max`).
    public mutating func uint(_ value: UInt64) {
        writeInteger(magnitude: value, negative: false)
    }

    /// Writes a number: integral values with magnitude below 2^53 without a fraction (`50`), others in the shortest
    /// form that round-trips (`0.1`, `1e+300`); non-finite values as `null`.
    public mutating func double(_ value: Double) {
        guard value.isFinite else {
            null()
            return
        }
        if value.magnitude < 9_007_199_254_740_992, value == value.rounded(.towardZero) {
            int(Int64(value))
            return
        }
        separate()
        bytes.append(contentsOf: value.description.utf8)
        needsComma = true
    }

    /// Writes `true` or `false`.
    public mutating func bool(_ value: Bool) {
        writeLiteral(value ? "true" : "false")
    }

    /// Writes `null`.
    public mutating func null() {
        writeLiteral("null")
    }

    /// Writes already-serialized JSON as one value, unchanged. The caller guarantees it is one valid JSON value.
    public mutating func raw(_ json: some Collection<UInt8>) {
        separate()
        bytes.append(contentsOf: json)
        needsComma = true
    }

    /// Writes `json`, serialized already, that opens or continues an object up to a member's key and `:` included
    /// (`{"a":1,"b":`): the member's value must follow. For a document whose beginning is the same from call to call.
    public mutating func rawUpToValue(_ json: [UInt8]) {
        separate()
        bytes.append(contentsOf: json)
        needsComma = false
    }

    /// Writes a `JSON` value.
    public mutating func value(_ value: JSON) {
        switch value {
        case .null:
            null()
        case .bool(let bool):
            self.bool(bool)
        case .int(let int):
            self.int(int)
        case .double(let double):
            self.double(double)
        case .string(let string):
            self.string(string)
        case .array(let array):
            beginArray()
            for element in array {
                self.value(element)
            }
            endArray()
        case .object(let object):
            self.object(object)
        }
    }

    /// Writes an object's members in stored order (shadowed duplicate keys included, as stored).
    public mutating func object(_ object: JSONObject) {
        beginObject()
        for member in object {
            key(member.key)
            value(member.value)
        }
        endObject()
    }

    // MARK: Internals

    private mutating func separate() {
        if needsComma {
            bytes.append(UInt8(ascii: ","))
        }
    }

    /// Writes `,` when one is due, then `literal`.
    private mutating func writeLiteral(_ literal: StaticString) {
        let comma = needsComma
        literal.withUTF8Buffer { text in
            bytes.append(addingCapacity: text.count + (comma ? 1 : 0)) { out in
                if comma {
                    out.append(UInt8(ascii: ","))
                }
                out.append(copying: text)
            }
        }
        needsComma = true
    }

    /// Writes `,` when one is due, then the decimal digits of `magnitude`, after `-` when `negative`.
    private mutating func writeInteger(magnitude: UInt64, negative: Bool) {
        var digits = 1
        var rest = magnitude
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        let comma = needsComma
        bytes.append(addingCapacity: digits + (negative ? 1 : 0) + (comma ? 1 : 0)) { out in
            if comma {
                out.append(UInt8(ascii: ","))
            }
            if negative {
                out.append(UInt8(ascii: "-"))
            }
            out.withUnsafeMutableBufferPointer { buffer, initialized in
                precondition(digits <= buffer.count - initialized, "JSONWriter reserved too little")
                var rest = magnitude
                var position = initialized + digits
                repeat {
                    position -= 1
                    buffer[position] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                    rest /= 10
                } while rest != 0
                initialized += digits
            }
        }
        needsComma = true
    }

    /// Writes `,` when one is due, then `text` quoted and escaped (see `writeQuoted(_:escapedCount:into:)`), then
    /// `suffix`.
    private mutating func writeQuoted(_ text: String, suffix: UInt8?) {
        var text = text
        text.withUTF8 { _ = writeQuoted($0, suffix: suffix, validating: false) }
    }

    /// Writes `,` when one is due, then `utf8` quoted, then `suffix`, all in one step into room reserved for exactly
    /// that. When `validating`, writes nothing and returns `false` if `utf8` is not well-formed UTF-8.
    private mutating func writeQuoted(_ utf8: UnsafeBufferPointer<UInt8>, suffix: UInt8?, validating: Bool) -> Bool {
        guard let escapedCount = Self.escapedCount(utf8, validating: validating) else { return false }
        let comma = needsComma
        bytes.append(addingCapacity: escapedCount + 2 + (comma ? 1 : 0) + (suffix == nil ? 0 : 1)) { out in
            if comma {
                out.append(UInt8(ascii: ","))
            }
            Self.writeQuoted(utf8, escapedCount: escapedCount, into: &out)
            if let suffix {
                out.append(suffix)
            }
        }
        return true
    }

    /// Writes `utf8` quoted: escapes `"`, `\` and control characters (the short forms where JSON has them, else
    /// `\u00XX`) and copies everything else (including `/` and non-ASCII) as it is. `escapedCount` is its length
    /// once escaped (`escapedCount(_:)`).
    private static func writeQuoted(_ utf8: UnsafeBufferPointer<UInt8>, escapedCount: Int, into out: inout OutputSpan<UInt8>) {
        out.append(UInt8(ascii: "\""))
        if escapedCount == utf8.count {
            out.append(copying: utf8)
        } else {
            writeEscaping(utf8, into: &out)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The length of `utf8` once escaped.
    private static func escapedCount(_ utf8: UnsafeBufferPointer<UInt8>) -> Int {
        escapedCount(utf8, validating: false) ?? utf8.count
    }

    /// The length of `utf8` once escaped, or `nil` when `validating` and it is not well-formed UTF-8.
    private static func escapedCount(_ utf8: UnsafeBufferPointer<UInt8>, validating: Bool) -> Int? {
        let count = utf8.count
        var escapedCount = count
        var index = 0
        while index < count {
            let plain = UTF8Scan.plainRun(utf8, at: index)
            index += plain
            guard plain < 8, index < count else { continue }
            let byte = utf8[index]
            if byte >= 0x80 {
                if validating {
                    guard let next = utf8.utf8SequenceEnd(at: index) else { return nil }
                    index = next
                } else {
                    index += 1
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x08, 0x0C, 0x0A, 0x0D, 0x09: escapedCount += 1
            case 0..<0x20: escapedCount += 5
            default: break
            }
            index += 1
        }
        return escapedCount
    }

    /// Writes `utf8` with `"`, `\` and control characters escaped, copying the runs between them.
    private static func writeEscaping(_ utf8: UnsafeBufferPointer<UInt8>, into out: inout OutputSpan<UInt8>) {
        let count = utf8.count
        var runStart = 0
        var index = 0
        while index < count {
            let plain = UTF8Scan.plainRun(utf8, at: index)
            index += plain
            guard plain < 8, index < count else { continue }
            let byte = utf8[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            out.append(copying: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
            index += 1
            runStart = index
            out.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            default:
                out.append(UInt8(ascii: "u"))
                out.append(UInt8(ascii: "0"))
                out.append(UInt8(ascii: "0"))
                out.append(Hex.lowercaseDigit(byte >> 4))
                out.append(Hex.lowercaseDigit(byte))
            }
        }
        out.append(copying: UnsafeBufferPointer(rebasing: utf8[runStart..<count]))
    }
}

extension OutputSpan<UInt8> {
    /// Appends the bytes of `source`; like `append(_:)`, traps if they do not fit (the writer reserves exactly).
    mutating func append(copying source: UnsafeBufferPointer<UInt8>) {
        withUnsafeMutableBufferPointer { buffer, initialized in
            precondition(source.count <= buffer.count - initialized, "JSONWriter reserved too little")
            guard let from = source.baseAddress, let to = buffer.baseAddress else { return }
            (to + initialized).initialize(from: from, count: source.count)
            initialized += source.count
        }
    }
}

extension JSON {
    /// The compact UTF-8 serialization: object members in stored order, doubles as `JSONWriter.double(_:)` writes
    /// them.
    public func serialized() -> [UInt8] {
        var writer = JSONWriter()
        writer.value(self)
        return writer.bytes
    }

    /// The compact serialization as a string.
    public var text: String {
        String(decoding: serialized(), as: UTF8.self)
    }
}
