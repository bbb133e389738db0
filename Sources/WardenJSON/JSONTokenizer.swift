internal import Bytes

/// The JSON grammar, once: a pull tokenizer over a UTF-8 buffer that checks the whole text (RFC 8259, strict) as it
/// goes and hands out one token at a time. `JSON.parse` builds its tree from these tokens and `JSONReader` reads
/// the values its caller asks for from them, skipping the rest; neither looks at a byte of JSON syntax itself.
///
/// It never recurses (nesting is a bit stack, in place for the first 64 levels), and it allocates only to decode a
/// string with escapes when asked to (`decoding: true`) and beyond 64 levels of nesting.
///
/// Every read of `input` is preceded by an explicit bounds check (`index < input.count`, or `index + 8 <= input.count`
/// for the 8-byte string scan), because the buffer subscript is only bounds-checked in debug builds.
struct JSONTokenizer {
    /// A token. Separators (`,` and `:`) and whitespace are checked and consumed on the way to the next one.
    enum Token {
        case beginObject, endObject, beginArray, endArray
        /// A member key; the `:` after it is checked by the next call.
        case key(StringToken)
        case string(StringToken)
        /// A number without fraction or exponent that fits in `Int64`.
        case int(Int64)
        /// Any other number (finite).
        case double(Double)
        case bool(Bool)
        case null
        /// The document ended after its value (only whitespace followed).
        case end
    }

    /// Where a string's content is: in the input (no escapes) or decoded into `scratch` (until the next string).
    struct StringToken {
        /// Offset of the opening quote.
        var offset: Int
        /// The content's range in `input`, or `nil` when it had escapes (decoded into `scratch` if asked to).
        var range: Range<Int>?
        /// Whether the content (after decoding) is all ASCII.
        var isASCII: Bool
    }

    /// What the next byte may be.
    private enum Expecting {
        /// A value (at the start, after `:` and after `,` in an array).
        case value
        /// A key or `}` (just after `{`).
        case firstKey
        /// A key (after `,` in an object).
        case key
        /// The `:` after a key.
        case colon
        /// A value or `]` (just after `[`).
        case firstElement
        /// `,` or the end of the enclosing container, or the end of the document at depth 0.
        case separator
        /// Nothing: the end was reported.
        case done
    }

    let input: UnsafeBufferPointer<UInt8>
    private(set) var position = 0
    let maxDepth: Int
    /// Reused buffer for strings with escapes.
    private(set) var scratch: [UInt8] = []
    private var expecting = Expecting.value
    /// Open containers: whether each is an object, innermost in bit 0.
    private var containers: UInt64 = 0
    /// `containers` of the outer levels when more than 64 are open.
    private var outerContainers: [UInt64] = []
    /// Number of open containers.
    private(set) var depth = 0

    init(input: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.input = input
        self.maxDepth = maxDepth
    }

    // MARK: Tokens

    /// The next token; strings with escapes are decoded into `scratch` when `decoding`, only checked otherwise.
    mutating func next(decoding: Bool) throws(JSONError) -> Token {
        skipWhitespace()
        switch expecting {
        case .value:
            return try value(decoding: decoding)
        case .firstElement:
            if position < input.count, input[position] == UInt8(ascii: "]") {
                return close()
            }
            return try value(decoding: decoding)
        case .firstKey:
            if position < input.count, input[position] == UInt8(ascii: "}") {
                return close()
            }
            return try key(decoding: decoding)
        case .key:
            return try key(decoding: decoding)
        case .colon:
            guard position < input.count else { throw JSONError(.unexpectedEnd, offset: position) }
            guard input[position] == UInt8(ascii: ":") else { throw unexpectedByte(at: position) }
            position += 1
            skipWhitespace()
            return try value(decoding: decoding)
        case .separator:
            guard depth > 0 else {
                if position < input.count {
                    throw unexpectedByte(at: position, code: .trailingData)
                }
                expecting = .done
                return .end
            }
            guard position < input.count else { throw JSONError(.unexpectedEnd, offset: position) }
            let isObject = containers & 1 == 1
            switch input[position] {
            case UInt8(ascii: ","):
                position += 1
                skipWhitespace()
                if isObject {
                    return try key(decoding: decoding)
                }
                return try value(decoding: decoding)
            case UInt8(ascii: "}") where isObject, UInt8(ascii: "]") where !isObject:
                return close()
            default:
                throw unexpectedByte(at: position)
            }
        case .done:
            return .end
        }
    }

    /// The error for a token sequence the tokenizer never produces (a consumer's guard, so that no loop can spin).
    func impossible() -> JSONError {
        JSONError(.invalidSyntax, offset: position)
    }

    /// Skips the rest of the value whose first token was just read (nothing for a scalar, up to the matching end for
    /// `beginObject`/`beginArray`), checking it all.
    mutating func skip(after token: Token) throws(JSONError) {
        switch token {
        case .beginObject, .beginArray:
            let base = depth - 1
            while true {
                switch try next(decoding: false) {
                case .endObject, .endArray:
                    if depth == base { return }
                default:
                    break
                }
            }
        default:
            return
        }
    }

    /// Skips the next value, checking it all.
    mutating func skipValue() throws(JSONError) {
        try skip(after: next(decoding: false))
    }

    // The accessors below change nothing: they are `mutating` so that a call from a mutating context passes the
    // tokenizer in place (a size-optimised build otherwise copies all of it for each call).

    /// The content of a string token as a `String` (valid while `scratch` still holds it).
    mutating func string(_ token: StringToken) -> String {
        if let range = token.range {
            return String(decoding: UnsafeBufferPointer(rebasing: input[range]), as: UTF8.self)
        }
        return String(decoding: scratch, as: UTF8.self)
    }

    /// The content of a string token as UTF-8 bytes (valid while `scratch` still holds it).
    mutating func bytes(_ token: StringToken) -> [UInt8] {
        if let range = token.range {
            return Array(UnsafeBufferPointer(rebasing: input[range]))
        }
        return scratch
    }

    /// Calls `body` with the UTF-8 bytes of a string token (valid while `scratch` still holds it).
    mutating func withBytes<R>(of token: StringToken, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let range = token.range {
            return body(UnsafeBufferPointer(rebasing: input[range]))
        }
        return scratch.withUnsafeBufferPointer(body)
    }

    // MARK: Structure

    private mutating func value(decoding: Bool) throws(JSONError) -> Token {
        guard position < input.count else { throw JSONError(.unexpectedEnd, offset: position) }
        expecting = .separator
        switch input[position] {
        case UInt8(ascii: "{"):
            try open(isObject: true)
            expecting = .firstKey
            return .beginObject
        case UInt8(ascii: "["):
            try open(isObject: false)
            expecting = .firstElement
            return .beginArray
        case UInt8(ascii: "\""):
            let offset = position
            position += 1
            return .string(try stringBody(offset: offset, decoding: decoding))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try number()
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        default:
            throw unexpectedByte(at: position)
        }
    }

    /// `"key"`; the `:` is left for the next call (so that a consumer rejecting duplicate keys sees the key first).
    @inline(__always)
    private mutating func key(decoding: Bool) throws(JSONError) -> Token {
        guard position < input.count else { throw JSONError(.unexpectedEnd, offset: position) }
        guard input[position] == UInt8(ascii: "\"") else { throw unexpectedByte(at: position) }
        let offset = position
        position += 1
        let token = try stringBody(offset: offset, decoding: decoding)
        expecting = .colon
        return .key(token)
    }

    @inline(__always)
    private mutating func open(isObject: Bool) throws(JSONError) {
        guard depth < maxDepth else { throw JSONError(.tooDeep, offset: position) }
        position += 1
        if depth > 0, depth % 64 == 0 {
            outerContainers.append(containers)
            containers = 0
        }
        containers = containers << 1 | (isObject ? 1 : 0)
        depth += 1
    }

    /// Consumes the `}` or `]` at `position` (the caller checked it matches) and closes the innermost container.
    @inline(__always)
    private mutating func close() -> Token {
        let isObject = containers & 1 == 1
        position += 1
        containers >>= 1
        depth -= 1
        if depth > 0, depth % 64 == 0, let outer = outerContainers.popLast() {
            containers = outer
        }
        expecting = .separator
        return isObject ? .endObject : .endArray
    }

    @inline(__always)
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
        if input[offset] >= 0x80, input.utf8SequenceEnd(at: offset) == nil {
            return JSONError(.invalidUTF8, offset: offset)
        }
        return JSONError(code, offset: offset)
    }

    // MARK: Numbers

    private mutating func number() throws(JSONError) -> Token {
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
    private mutating func skipDigits(from index: Int, numberStart: Int) throws(JSONError) -> Int {
        guard index < input.count else { throw JSONError(.unexpectedEnd, offset: input.count) }
        guard isDigit(input[index]) else { throw JSONError(.invalidNumber, offset: numberStart) }
        var end = index + 1
        while end < input.count, isDigit(input[end]) {
            end += 1
        }
        return end
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    // MARK: Strings

    /// Checks the rest of a string whose opening quote (at `offset`) was consumed and leaves `position` after the
    /// closing quote. The content's range is in the token when it has no escapes; otherwise it is decoded into
    /// `scratch` when `decoding`.
    private mutating func stringBody(offset: Int, decoding: Bool) throws(JSONError) -> StringToken {
        let start = position
        let count = input.count
        var index = start
        var isASCII = true
        while index < count {
            // Plain printable ASCII, 8 bytes at a time; then straight to the first byte that needs a look.
            let plain = UTF8Scan.plainRun(input, at: index)
            index += plain
            guard plain < 8, index < count else { continue }
            let byte = input[index]
            if byte == UInt8(ascii: "\"") {
                position = index + 1
                return StringToken(offset: offset, range: start..<index, isASCII: isASCII)
            }
            if byte == UInt8(ascii: "\\") {
                let restIsASCII = try escapedStringBody(start: start, firstEscape: index, decoding: decoding)
                return StringToken(offset: offset, range: nil, isASCII: isASCII && restIsASCII)
            }
            index = try contentByteEnd(at: index, isASCII: &isASCII)
        }
        throw JSONError(.unexpectedEnd, offset: count)
    }

    /// The index after the string-content character starting at `index`, which is neither a quote nor a backslash:
    /// a control character is refused, and a non-ASCII one must be well-formed UTF-8 (it clears `isASCII`).
    @inline(__always)
    private func contentByteEnd(at index: Int, isASCII: inout Bool) throws(JSONError) -> Int {
        let byte = input[index]
        if byte < 0x20 { throw JSONError(.controlCharacter, offset: index) }
        if byte < 0x80 { return index + 1 }
        guard let next = input.utf8SequenceEnd(at: index) else { throw JSONError(.invalidUTF8, offset: index) }
        isASCII = false
        return next
    }

    /// Slow path for strings with escapes: checks them, decoding into `scratch` when `decoding`. Returns whether the
    /// content from `firstEscape` on is all ASCII once decoded.
    private mutating func escapedStringBody(start: Int, firstEscape: Int, decoding: Bool) throws(JSONError) -> Bool {
        let count = input.count
        var isASCII = true
        if decoding {
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[start..<firstEscape]))
        }
        var index = firstEscape
        var runStart = index
        while index < count {
            let byte = input[index]
            if byte == UInt8(ascii: "\"") {
                if decoding {
                    scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[runStart..<index]))
                }
                position = index + 1
                return isASCII
            }
            if byte == UInt8(ascii: "\\") {
                if decoding {
                    scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[runStart..<index]))
                }
                guard index + 1 < count else { throw JSONError(.unexpectedEnd, offset: count) }
                let unescaped: UInt8
                switch input[index + 1] {
                case UInt8(ascii: "\""): unescaped = 0x22
                case UInt8(ascii: "\\"): unescaped = 0x5C
                case UInt8(ascii: "/"): unescaped = 0x2F
                case UInt8(ascii: "b"): unescaped = 0x08
                case UInt8(ascii: "f"): unescaped = 0x0C
                case UInt8(ascii: "n"): unescaped = 0x0A
                case UInt8(ascii: "r"): unescaped = 0x0D
                case UInt8(ascii: "t"): unescaped = 0x09
                case UInt8(ascii: "u"):
                    let (end, scalar) = try unicodeEscape(at: index, decoding: decoding)
                    isASCII = isASCII && scalar < 0x80
                    index = end
                    runStart = index
                    continue
                default:
                    throw JSONError(.invalidEscape, offset: index)
                }
                if decoding {
                    scratch.append(unescaped)
                }
                index += 2
                runStart = index
            } else {
                index = try contentByteEnd(at: index, isASCII: &isASCII)
            }
        }
        throw JSONError(.unexpectedEnd, offset: count)
    }

    /// Checks `\uXXXX` (and a following low-surrogate escape when the first is a high surrogate) at `index` (the
    /// backslash), appends the scalar's UTF-8 to `scratch` when `decoding`, and returns the index after the escape(s)
    /// and the scalar.
    private mutating func unicodeEscape(at index: Int, decoding: Bool) throws(JSONError) -> (end: Int, scalar: UInt32) {
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
        if decoding {
            appendUTF8(scalar)
        }
        return (end, scalar)
    }

    /// Reads four hex digits starting at `index`.
    private mutating func hexQuad(at index: Int, escapeOffset: Int) throws(JSONError) -> UInt32 {
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
}
