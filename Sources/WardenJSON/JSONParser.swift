internal import Bytes

/// Limits and checks applied by `JSON.parse`.
public struct JSONParseOptions: Sendable, Hashable {
    /// Maximum nesting of arrays and objects; a container opened deeper throws `.tooDeep`. A value of 0 allows only a
    /// scalar at the top level. Default 64.
    ///
    /// The parser itself never recurses, but `JSON` values are compared, serialized and destroyed recursively, so
    /// keep the limit moderate (a few thousand at most) for untrusted input.
    public var maxDepth: Int
    /// Maximum input length in bytes; longer input throws `.tooLarge` before any parsing. Default unlimited.
    public var maxBytes: Int
    /// Whether a key repeated within one object throws `.duplicateKey` (instead of the last occurrence winning and
    /// `JSONObject.hasDuplicateKeys` being set). Keys compare as Swift strings (after unescaping, with Unicode
    /// canonical equivalence). Default `false`; use `true` for untrusted request bodies.
    public var rejectDuplicateKeys: Bool

    /// Creates options.
    public init(maxDepth: Int = 64, maxBytes: Int = .max, rejectDuplicateKeys: Bool = false) {
        self.maxDepth = maxDepth
        self.maxBytes = maxBytes
        self.rejectDuplicateKeys = rejectDuplicateKeys
    }
}

extension JSON {
    /// Parses one JSON text (RFC 8259, strict) from UTF-8 bytes.
    ///
    /// Rejects trailing commas, leading zeros, `NaN`/`Infinity`, unescaped control characters, unknown escapes,
    /// unpaired surrogate escapes, ill-formed UTF-8 (anywhere), a byte-order mark, and anything but whitespace after
    /// the value. Integers that fit in `Int64` become `.int`; other numbers become `.double` (correctly rounded);
    /// numbers beyond the finite `Double` range throw `.numberOutOfRange`.
    ///
    /// Contiguous collections (`[UInt8]`, `ArraySlice`, buffer pointers, native `String.UTF8View`) are parsed in
    /// place; others are copied once.
    public static func parse(
        _ bytes: some Collection<UInt8>,
        options: JSONParseOptions = JSONParseOptions()
    ) throws(JSONError) -> JSON {
        let count = bytes.count
        if count > options.maxBytes {
            throw JSONError(.tooLarge, offset: options.maxBytes)
        }
        if let result = bytes.withContiguousStorageIfAvailable({ JSONParser.parse($0, options: options) }) {
            return try result.get()
        }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { JSONParser.parse($0, options: options) }.get()
    }

    /// Parses one JSON text from a string (see `parse(_:options:)` for the rules).
    public static func parse(_ string: String, options: JSONParseOptions = JSONParseOptions()) throws(JSONError) -> JSON {
        try parse(string.utf8, options: options)
    }
}

/// Non-recursive parser over a UTF-8 buffer. Nesting uses an explicit stack, so deep input cannot overflow the call
/// stack whatever `maxDepth` is.
///
/// Every read of `input` is preceded by an explicit bounds check (`index < input.count`, or `index + 8 <= input.count`
/// for the 8-byte string scan), because the buffer subscript is only bounds-checked in debug builds.
struct JSONParser {
    private let input: UnsafeBufferPointer<UInt8>
    private var position = 0
    private let maxDepth: Int
    private let rejectDuplicateKeys: Bool
    /// Reused buffer for strings containing escapes.
    private var scratch: [UInt8] = []

    /// An array or object being built.
    private struct Frame {
        var isObject: Bool
        var array: [JSON] = []
        var object = JSONObject()
        /// Key of the member whose value is being parsed.
        var key = ""
        /// Whether the key already occurs in the object; `nil` when not checked (duplicates are not rejected).
        var keyIsDuplicate: Bool?
    }

    private init(input: UnsafeBufferPointer<UInt8>, options: JSONParseOptions) {
        self.input = input
        self.maxDepth = options.maxDepth
        self.rejectDuplicateKeys = options.rejectDuplicateKeys
    }

    /// Parses a whole document from `input` (which must stay valid for the duration of the call).
    static func parse(_ input: UnsafeBufferPointer<UInt8>, options: JSONParseOptions) -> Result<JSON, JSONError> {
        var parser = JSONParser(input: input, options: options)
        do {
            return .success(try parser.parseDocument())
        } catch {
            return .failure(error)
        }
    }

    private mutating func parseDocument() throws(JSONError) -> JSON {
        let value = try parseValue()
        skipWhitespace()
        if position < input.count {
            throw unexpectedByte(at: position, code: .trailingData)
        }
        return value
    }

    // MARK: Structure

    private mutating func parseValue() throws(JSONError) -> JSON {
        var stack: [Frame] = []
        nextValue: while true {
            skipWhitespace()
            guard position < input.count else { throw JSONError(.unexpectedEnd, offset: position) }
            var value: JSON
            switch input[position] {
            case UInt8(ascii: "{"):
                guard stack.count < maxDepth else { throw JSONError(.tooDeep, offset: position) }
                position += 1
                skipWhitespace()
                if position < input.count, input[position] == UInt8(ascii: "}") {
                    position += 1
                    value = .object(JSONObject())
                } else {
                    var frame = Frame(isObject: true)
                    try parseKey(into: &frame)
                    stack.append(frame)
                    continue nextValue
                }
            case UInt8(ascii: "["):
                guard stack.count < maxDepth else { throw JSONError(.tooDeep, offset: position) }
                position += 1
                skipWhitespace()
                if position < input.count, input[position] == UInt8(ascii: "]") {
                    position += 1
                    value = .array([])
                } else {
                    stack.append(Frame(isObject: false))
                    continue nextValue
                }
            case UInt8(ascii: "\""):
                position += 1
                value = .string(try parseStringBody())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = try parseNumber()
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                value = .null
            default:
                throw unexpectedByte(at: position)
            }

            // Store the finished value in its container; close containers that end here.
            while let top = stack.indices.last {
                skipWhitespace()
                guard position < input.count else { throw JSONError(.unexpectedEnd, offset: position) }
                let byte = input[position]
                if stack[top].isObject {
                    let key = stack[top].key
                    stack[top].object.append(key: key, value: value, isDuplicate: stack[top].keyIsDuplicate)
                    if byte == UInt8(ascii: ",") {
                        position += 1
                        skipWhitespace()
                        try parseKey(into: &stack[top])
                        continue nextValue
                    } else if byte == UInt8(ascii: "}") {
                        position += 1
                        value = .object(stack.removeLast().object)
                    } else {
                        throw unexpectedByte(at: position)
                    }
                } else {
                    stack[top].array.append(value)
                    if byte == UInt8(ascii: ",") {
                        position += 1
                        continue nextValue
                    } else if byte == UInt8(ascii: "]") {
                        position += 1
                        value = .array(stack.removeLast().array)
                    } else {
                        throw unexpectedByte(at: position)
                    }
                }
            }
            return value
        }
    }

    /// Parses `"key"` and the following `:`; leaves `position` at the start of the member value.
    private mutating func parseKey(into frame: inout Frame) throws(JSONError) {
        guard position < input.count else { throw JSONError(.unexpectedEnd, offset: position) }
        guard input[position] == UInt8(ascii: "\"") else { throw unexpectedByte(at: position) }
        let keyOffset = position
        position += 1
        let key = try parseStringBody()
        // Checking costs key comparisons, so without rejection `JSONObject` works it out only if asked.
        var isDuplicate: Bool?
        if rejectDuplicateKeys {
            if frame.object.contains(key: key) {
                throw JSONError(.duplicateKey, offset: keyOffset)
            }
            isDuplicate = false
        }
        skipWhitespace()
        guard position < input.count else { throw JSONError(.unexpectedEnd, offset: position) }
        guard input[position] == UInt8(ascii: ":") else { throw unexpectedByte(at: position) }
        position += 1
        frame.key = key
        frame.keyIsDuplicate = isDuplicate
    }

    private mutating func skipWhitespace() {
        while position < input.count {
            switch input[position] {
            case 0x20, 0x0A, 0x0D, 0x09:
                position += 1
            default:
                return
            }
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let start = position
        let available = input.count - start
        let mismatch: Int? = literal.withUTF8Buffer { expected in
            for offset in 0..<expected.count {
                if offset >= available || input[start + offset] != expected[offset] {
                    return offset
                }
            }
            return nil
        }
        if let mismatch {
            if start + mismatch >= input.count {
                throw JSONError(.unexpectedEnd, offset: input.count)
            }
            throw unexpectedByte(at: start + mismatch)
        }
        position = start + literal.utf8CodeUnitCount
    }

    /// The error for an unexpected byte: `.invalidUTF8` if it starts an ill-formed UTF-8 sequence, else `code`.
    private func unexpectedByte(at offset: Int, code: JSONError.Code = .invalidSyntax) -> JSONError {
        if input[offset] >= 0x80, utf8SequenceEnd(at: offset) == nil {
            return JSONError(.invalidUTF8, offset: offset)
        }
        return JSONError(code, offset: offset)
    }

    // MARK: Numbers

    private mutating func parseNumber() throws(JSONError) -> JSON {
        let start = position
        let count = input.count
        var index = position
        let negative = input[index] == UInt8(ascii: "-")
        if negative {
            index += 1
        }
        guard index < count else { throw JSONError(.unexpectedEnd, offset: count) }

        var magnitude: UInt64 = 0
        var overflow = false
        let first = input[index]
        if first == UInt8(ascii: "0") {
            index += 1
            if index < count, isDigit(input[index]) {
                throw JSONError(.invalidNumber, offset: start)
            }
        } else if isDigit(first) {
            while index < count, isDigit(input[index]) {
                if !overflow {
                    let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
                    let (sum, overflow2) = times10.addingReportingOverflow(UInt64(input[index] &- UInt8(ascii: "0")))
                    if overflow1 || overflow2 {
                        overflow = true
                    } else {
                        magnitude = sum
                    }
                }
                index += 1
            }
        } else {
            throw JSONError(.invalidNumber, offset: start)
        }

        var isInteger = true
        if index < count, input[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            index = try skipDigits(from: index, numberStart: start)
        }
        if index < count, input[index] == UInt8(ascii: "e") || input[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < count, input[index] == UInt8(ascii: "+") || input[index] == UInt8(ascii: "-") {
                index += 1
            }
            index = try skipDigits(from: index, numberStart: start)
        }
        position = index

        if isInteger, !overflow {
            if negative {
                if magnitude <= UInt64(Int64.max) + 1 {
                    return .int(Int64(bitPattern: 0 &- magnitude))
                }
            } else if magnitude <= UInt64(Int64.max) {
                return .int(Int64(magnitude))
            }
        }
        // The grammar was checked above, so the stdlib parser only sees valid decimal text.
        let text = String(decoding: UnsafeBufferPointer(rebasing: input[start..<index]), as: UTF8.self)
        guard let double = Double(text), double.isFinite else {
            throw JSONError(.numberOutOfRange, offset: start)
        }
        return .double(double)
    }

    /// Skips one or more digits starting at `index`; returns the index after them.
    private func skipDigits(from index: Int, numberStart: Int) throws(JSONError) -> Int {
        guard index < input.count else { throw JSONError(.unexpectedEnd, offset: input.count) }
        guard isDigit(input[index]) else { throw JSONError(.invalidNumber, offset: numberStart) }
        var end = index + 1
        while end < input.count, isDigit(input[end]) {
            end += 1
        }
        return end
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    // MARK: Strings

    /// Parses the rest of a string whose opening quote was consumed; leaves `position` after the closing quote.
    private mutating func parseStringBody() throws(JSONError) -> String {
        let start = position
        let count = input.count
        var index = start
        while index < count {
            // Skip 8 plain printable ASCII bytes at a time.
            while index + 8 <= count {
                let word = UnsafeRawBufferPointer(input).loadUnaligned(fromByteOffset: index, as: UInt64.self)
                if Self.needsAttention(word) {
                    break
                }
                index += 8
            }
            guard index < count else { break }
            let byte = input[index]
            if byte == UInt8(ascii: "\"") {
                position = index + 1
                return String(decoding: UnsafeBufferPointer(rebasing: input[start..<index]), as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                return try parseEscapedStringBody(start: start, firstEscape: index)
            }
            if byte < 0x20 {
                throw JSONError(.controlCharacter, offset: index)
            }
            if byte < 0x80 {
                index += 1
            } else {
                guard let next = utf8SequenceEnd(at: index) else { throw JSONError(.invalidUTF8, offset: index) }
                index = next
            }
        }
        throw JSONError(.unexpectedEnd, offset: count)
    }

    /// Whether any of the 8 bytes in `word` is `"`, `\\`, a control character or non-ASCII (no false negatives;
    /// a false positive only sends the caller to its byte-by-byte path).
    private static func needsAttention(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let hasQuote = (quote &- ones) & ~quote
        let hasBackslash = (backslash &- ones) & ~backslash
        let hasControl = word &- ones &* 0x20
        return (hasQuote | hasBackslash | hasControl | word) & (ones &* 0x80) != 0
    }

    /// Slow path for strings with escapes: decodes into `scratch`.
    private mutating func parseEscapedStringBody(start: Int, firstEscape: Int) throws(JSONError) -> String {
        let count = input.count
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[start..<firstEscape]))
        var index = firstEscape
        var runStart = index
        while index < count {
            let byte = input[index]
            if byte == UInt8(ascii: "\"") {
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[runStart..<index]))
                position = index + 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[runStart..<index]))
                guard index + 1 < count else { throw JSONError(.unexpectedEnd, offset: count) }
                switch input[index + 1] {
                case UInt8(ascii: "\""): scratch.append(0x22)
                case UInt8(ascii: "\\"): scratch.append(0x5C)
                case UInt8(ascii: "/"): scratch.append(0x2F)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"):
                    index = try parseUnicodeEscape(at: index)
                    runStart = index
                    continue
                default:
                    throw JSONError(.invalidEscape, offset: index)
                }
                index += 2
                runStart = index
            } else if byte < 0x20 {
                throw JSONError(.controlCharacter, offset: index)
            } else if byte < 0x80 {
                index += 1
            } else {
                guard let next = utf8SequenceEnd(at: index) else { throw JSONError(.invalidUTF8, offset: index) }
                index = next
            }
        }
        throw JSONError(.unexpectedEnd, offset: count)
    }

    /// Decodes `\uXXXX` (and a following low-surrogate escape when the first is a high surrogate) at `index` (the
    /// backslash), appends the scalar's UTF-8 to `scratch` and returns the index after the escape(s).
    private mutating func parseUnicodeEscape(at index: Int) throws(JSONError) -> Int {
        let unit = try hexQuad(at: index + 2, escapeOffset: index)
        var scalar = unit
        var end = index + 6
        switch unit {
        case 0xD800...0xDBFF:
            // A high surrogate must be followed directly by a `\u` escape of a low surrogate.
            guard end < input.count else { throw JSONError(.unexpectedEnd, offset: input.count) }
            guard input[end] == UInt8(ascii: "\\") else { throw JSONError(.loneSurrogate, offset: index) }
            guard end + 1 < input.count else { throw JSONError(.unexpectedEnd, offset: input.count) }
            guard input[end + 1] == UInt8(ascii: "u") else { throw JSONError(.loneSurrogate, offset: index) }
            let low = try hexQuad(at: end + 2, escapeOffset: end)
            guard (0xDC00...0xDFFF).contains(low) else { throw JSONError(.loneSurrogate, offset: index) }
            scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            end += 6
        case 0xDC00...0xDFFF:
            throw JSONError(.loneSurrogate, offset: index)
        default:
            break
        }
        appendUTF8(scalar)
        return end
    }

    /// Reads four hex digits starting at `index`.
    private func hexQuad(at index: Int, escapeOffset: Int) throws(JSONError) -> UInt32 {
        var value: UInt32 = 0
        for offset in index..<(index + 4) {
            guard offset < input.count else { throw JSONError(.unexpectedEnd, offset: input.count) }
            guard let digit = Hex.value(ofDigit: input[offset]) else { throw JSONError(.invalidEscape, offset: escapeOffset) }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Appends the UTF-8 encoding of a scalar value (never a surrogate) to `scratch`.
    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(truncatingIfNeeded: scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(truncatingIfNeeded: 0xC0 | scalar >> 6))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(truncatingIfNeeded: 0xE0 | scalar >> 12))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(truncatingIfNeeded: 0xF0 | scalar >> 18))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
        }
    }

    /// The index after the well-formed multi-byte UTF-8 sequence starting at `index` (whose lead byte is >= 0x80),
    /// or `nil` if it is ill-formed or truncated (RFC 3629: no overlongs, surrogates or values above U+10FFFF).
    private func utf8SequenceEnd(at index: Int) -> Int? {
        let count = input.count
        func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            offset < count && range.contains(input[offset])
        }
        switch input[index] {
        case 0xC2...0xDF:
            return continuation(index + 1) ? index + 2 : nil
        case 0xE0:
            return continuation(index + 1, 0xA0...0xBF) && continuation(index + 2) ? index + 3 : nil
        case 0xE1...0xEC, 0xEE...0xEF:
            return continuation(index + 1) && continuation(index + 2) ? index + 3 : nil
        case 0xED:
            return continuation(index + 1, 0x80...0x9F) && continuation(index + 2) ? index + 3 : nil
        case 0xF0:
            return continuation(index + 1, 0x90...0xBF) && continuation(index + 2) && continuation(index + 3)
                ? index + 4 : nil
        case 0xF1...0xF3:
            return continuation(index + 1) && continuation(index + 2) && continuation(index + 3) ? index + 4 : nil
        case 0xF4:
            return continuation(index + 1, 0x80...0x8F) && continuation(index + 2) && continuation(index + 3)
                ? index + 4 : nil
        default:
            return nil
        }
    }
}
