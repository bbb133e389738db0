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
        separate()
        writeEscaped(key)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    // MARK: Values

    /// Writes a string value, escaped.
    public mutating func string(_ value: String) {
        separate()
        writeEscaped(value)
        needsComma = true
    }

    /// Writes an integer value.
    public mutating func int(_ value: Int64) {
        separate()
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
        }
        writeDigits(value.magnitude)
        needsComma = true
    }

    /// Writes an integer value.
    public mutating func int(_ value: Int) {
        int(Int64(value))
    }

    /// Writes an unsigned integer value (exact, also above `Int64.max`).
    public mutating func uint(_ value: UInt64) {
        separate()
        writeDigits(value)
        needsComma = true
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
        separate()
        appendLiteral(value ? "true" : "false")
        needsComma = true
    }

    /// Writes `null`.
    public mutating func null() {
        separate()
        appendLiteral("null")
        needsComma = true
    }

    /// Writes already-serialized JSON as one value, unchanged. The caller guarantees it is one valid JSON value.
    public mutating func raw(_ json: some Collection<UInt8>) {
        separate()
        bytes.append(contentsOf: json)
        needsComma = true
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

    private mutating func appendLiteral(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func writeDigits(_ value: UInt64) {
        let start = bytes.count
        var remaining = value
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: remaining % 10))
            remaining /= 10
        } while remaining != 0
        bytes[start...].reverse()
    }

    /// Writes a quoted string: escapes `"`, `\` and control characters; everything else (including `/` and
    /// non-ASCII) is copied as UTF-8.
    private mutating func writeEscaped(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            var runStart = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                runStart = index + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                default:
                    appendLiteral("u00")
                    bytes.append(Hex.lowercaseDigit(byte >> 4))
                    bytes.append(Hex.lowercaseDigit(byte))
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
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
