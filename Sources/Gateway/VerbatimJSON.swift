import WardenJSON

/// A function's JSON answer (proxy response, streaming prelude) or an `--env-vars` file as the gateway reads it:
/// WardenJSON's tree plus the text of every number as written, so a header `1.50` is sent as `1.50` and a non-string
/// payload 2.0 `body` keeps its numbers exactly (`1.0`, `1E3`, `12345678901234567890`). Parsing is lenient where a
/// function's output may be: ill-formed UTF-8 inside strings reads as U+FFFD, numbers beyond `Double` are accepted,
/// nesting goes to 512 levels. Duplicate keys are kept in order (lookups see the last one).
struct VerbatimJSON {
    let value: JSON
    /// The texts of the numbers in `value`, in document order.
    private let numbers: ArraySlice<String>

    private init(_ value: JSON, _ numbers: ArraySlice<String>) {
        self.value = value
        self.numbers = numbers
    }

    /// Parses a complete JSON text; nil when it is not JSON.
    static func parse(_ raw: [UInt8]) -> VerbatimJSON? {
        var bytes = raw
        var clamp = false
        for _ in 0..<3 {
            do {
                let value = try JSON.parse(clamp ? clampingNumbers(bytes) : bytes, options: JSONParseOptions(maxDepth: 512))
                return VerbatimJSON(value, numberTexts(bytes)[...])
            } catch let error where error.code == .invalidUTF8 {
                bytes = Array(String(decoding: bytes, as: UTF8.self).utf8)
            } catch let error where error.code == .numberOutOfRange {
                clamp = true
            } catch {
                return nil
            }
        }
        return nil
    }

    /// The members of an object in stored order (repeated keys included), nil for anything else.
    var members: [(String, VerbatimJSON)]? {
        guard case .object(let object) = value else { return nil }
        var next = numbers.startIndex
        return object.map { member in (member.key, child(member.value, &next)) }
    }

    /// The elements of an array, nil for anything else.
    var items: [VerbatimJSON]? {
        guard case .array(let array) = value else { return nil }
        var next = numbers.startIndex
        return array.map { child($0, &next) }
    }

    /// The member `key` of an object (the last one when repeated), nil for anything else.
    subscript(key: String) -> VerbatimJSON? {
        guard case .object(let object) = value, let position = object.lastIndex(forKey: key) else { return nil }
        var next = numbers.startIndex
        for member in object[..<position] { next += Self.numberCount(member.value) }
        return child(object[position].value, &next)
    }

    /// The number as written.
    var numberText: String? { value.isNumber ? numbers.first : nil }

    /// A number without fraction or exponent that fits `Int`, or an integral one below 10^15 in magnitude.
    var intValue: Int? {
        guard let text = numberText else { return nil }
        if let value = Int(text) { return value }
        if let value = Double(text), value.rounded() == value, abs(value) < 1e15 { return Int(value) }
        return nil
    }

    /// Compact JSON text, numbers as written.
    func serialized() -> [UInt8] {
        var writer = JSONWriter()
        var next = numbers.startIndex
        write(value, to: &writer, &next)
        return writer.bytes
    }

    private func write(_ value: JSON, to writer: inout JSONWriter, _ next: inout Int) {
        switch value {
        case .int, .double:
            writer.raw(numbers[next].utf8)
            next += 1
        case .array(let array):
            writer.beginArray()
            for element in array { write(element, to: &writer, &next) }
            writer.endArray()
        case .object(let object):
            writer.beginObject()
            for member in object {
                writer.key(member.key)
                write(member.value, to: &writer, &next)
            }
            writer.endObject()
        case .null, .bool, .string:
            writer.value(value)
        }
    }

    private func child(_ value: JSON, _ next: inout Int) -> VerbatimJSON {
        let end = next + Self.numberCount(value)
        defer { next = end }
        return VerbatimJSON(value, numbers[next..<end])
    }

    private static func numberCount(_ value: JSON) -> Int {
        switch value {
        case .int, .double: 1
        case .array(let array): array.reduce(0) { $0 + numberCount($1) }
        case .object(let object): object.reduce(0) { $0 + numberCount($1.value) }
        case .null, .bool, .string: 0
        }
    }

    /// The number tokens of valid JSON text, in order.
    private static func numberTexts(_ bytes: [UInt8]) -> [String] {
        numberRanges(bytes).map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    private static func numberRanges(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                index += 1
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = index
                while index < bytes.count, isNumberByte(bytes[index]) { index += 1 }
                ranges.append(start..<index)
            default:
                index += 1
            }
        }
        return ranges
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
            UInt8(ascii: "e"), UInt8(ascii: "E"):
            true
        default: false
        }
    }

    /// The text with every number beyond `Double` (`1e400`) replaced by a finite stand-in, so that WardenJSON accepts
    /// it; the stand-in's value is never read (`numberText` and `intValue` use the original text). Only tokens that are
    /// exactly a JSON number are replaced, so no text that is not JSON becomes JSON.
    private static func clampingNumbers(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var copied = 0
        for range in numberRanges(bytes) where isNumber(bytes[range]) {
            guard let number = Double(String(decoding: bytes[range], as: UTF8.self)), !number.isFinite else { continue }
            out += bytes[copied..<range.lowerBound]
            out += Array((number < 0 ? "-1e300" : "1e300").utf8)
            copied = range.upperBound
        }
        out += bytes[copied...]
        return out
    }

    /// Whether `token` is one number in JSON's grammar: `-`? (`0` | digits) (`.` digits)? ([eE] [+-]? digits)?.
    private static func isNumber(_ token: ArraySlice<UInt8>) -> Bool {
        var index = token.startIndex
        func skip(_ byte: UInt8...) -> Bool {
            guard index < token.endIndex, byte.contains(token[index]) else { return false }
            index += 1
            return true
        }
        func digits() -> Bool {
            let start = index
            while index < token.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(token[index]) { index += 1 }
            return index > start
        }
        _ = skip(UInt8(ascii: "-"))
        guard skip(UInt8(ascii: "0")) || digits() else { return false }
        if skip(UInt8(ascii: ".")), !digits() { return false }
        if skip(UInt8(ascii: "e"), UInt8(ascii: "E")) {
            _ = skip(UInt8(ascii: "+"), UInt8(ascii: "-"))
            guard digits() else { return false }
        }
        return index == token.endIndex
    }
}
