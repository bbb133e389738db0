/// A forward-only reader of one JSON text that builds no tree: it checks the whole text exactly as `JSON.parse` does
/// (the same texts are refused, with the same `JSONError`), but turns into Swift values only what its caller reads,
/// and skips everything else without allocating.
///
/// The caller reads the document's value in `read(_:maxDepth:_:)`'s closure, an object's members in
/// `readObject(_:)`'s and an array's elements in `readArray(_:)`'s. Each value may be read once, as the type the
/// caller expects: `readString()` gives `nil` for a number, for example, and skips it. A value the closure does not
/// read is skipped (and checked) when it returns.
///
/// ```swift
/// let name = try JSONReader.read(bytes, maxDepth: 8) { reader in
///     var name: String?
///     _ = try reader.readObject { member in
///         if member.keyEquals("name") { name = try member.readString() }  // the last one wins, as `object["name"]`
///     }
///     return name
/// }
/// ```
///
/// Not copyable, and lent to closures only: it reads a buffer that lives only for the duration of `read`.
public struct JSONReader: ~Copyable {
    private var tokenizer: JSONTokenizer
    /// Whether the value at the current position has not been read yet.
    private var valuePending = false
    /// An array element's first token, read to see whether the array ended.
    private var lookahead: JSONTokenizer.Token?
    /// The key of the member being read.
    private var currentKey: Key?
    /// The decoded keys (those with escapes) of the members being read, outermost first.
    private var decodedKeys: [UInt8] = []

    /// Where a member's key is.
    private struct Key {
        /// Whether `range` is in `decodedKeys` (otherwise in the input).
        var isDecoded: Bool
        var range: Range<Int>
        var isASCII: Bool
    }

    private init(input: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        tokenizer = JSONTokenizer(input: input, maxDepth: maxDepth)
    }

    /// Reads one JSON text from UTF-8 bytes: `body` reads its value (or part of it), then the rest is checked.
    /// Throws the `JSONError` that `JSON.parse(bytes, options: JSONParseOptions(maxDepth: maxDepth))` throws, or
    /// that `body` throws.
    public static func read<Value>(
        _ bytes: [UInt8], maxDepth: Int = 64, _ body: (inout JSONReader) throws(JSONError) -> Value
    ) throws(JSONError) -> Value {
        try bytes.withUnsafeBufferPointer { run($0, maxDepth: maxDepth, body) }.get()
    }

    private static func run<Value>(
        _ input: UnsafeBufferPointer<UInt8>, maxDepth: Int, _ body: (inout JSONReader) throws(JSONError) -> Value
    ) -> Result<Value, JSONError> {
        var reader = JSONReader(input: input, maxDepth: maxDepth)
        reader.valuePending = true
        do throws(JSONError) {
            let value = try body(&reader)
            try reader.skipValue()
            guard case .end = try reader.tokenizer.next(decoding: false) else { throw reader.tokenizer.impossible() }
            return .success(value)
        } catch {
            return .failure(error)
        }
    }

    // MARK: Values

    /// The value as a string when it is one; otherwise `nil` (the value is skipped).
    public mutating func readString() throws(JSONError) -> String? {
        guard let token = try valueToken(decoding: true) else { return nil }
        guard case .string(let string) = token else {
            try tokenizer.skip(after: token)
            return nil
        }
        return tokenizer.string(string)
    }

    /// The UTF-8 bytes of the value when it is a string; otherwise `nil` (the value is skipped).
    public mutating func readStringBytes() throws(JSONError) -> [UInt8]? {
        guard let token = try valueToken(decoding: true) else { return nil }
        guard case .string(let string) = token else {
            try tokenizer.skip(after: token)
            return nil
        }
        return tokenizer.bytes(string)
    }

    /// The value when it is `true` or `false`; otherwise `nil` (the value is skipped).
    public mutating func readBool() throws(JSONError) -> Bool? {
        guard let token = try valueToken(decoding: false) else { return nil }
        guard case .bool(let bool) = token else {
            try tokenizer.skip(after: token)
            return nil
        }
        return bool
    }

    /// Skips the value, checking it.
    public mutating func skipValue() throws(JSONError) {
        guard let token = try valueToken(decoding: false) else { return }
        try tokenizer.skip(after: token)
    }

    /// When the value is an object, calls `member` for each of its members in order (duplicate keys included) and
    /// returns `true`; otherwise skips the value and returns `false`. `member` reads the member's value (or not) and
    /// can ask its key (`keyEquals(_:)`, `key`) at any time.
    @discardableResult
    public mutating func readObject(_ member: (inout JSONReader) throws(JSONError) -> Void) throws(JSONError) -> Bool {
        guard let first = try valueToken(decoding: false) else { return false }
        guard case .beginObject = first else {
            try tokenizer.skip(after: first)
            return false
        }
        let outerKey = currentKey
        let outerDecodedKeys = decodedKeys.count
        defer {
            currentKey = outerKey
            decodedKeys.removeLast(decodedKeys.count - outerDecodedKeys)
        }
        while true {
            switch try tokenizer.next(decoding: true) {
            case .key(let token):
                decodedKeys.removeLast(decodedKeys.count - outerDecodedKeys)
                if let range = token.range {
                    currentKey = Key(isDecoded: false, range: range, isASCII: token.isASCII)
                } else {
                    decodedKeys.append(contentsOf: tokenizer.scratch)
                    currentKey = Key(isDecoded: true, range: outerDecodedKeys..<decodedKeys.count, isASCII: token.isASCII)
                }
                valuePending = true
                try member(&self)
                try skipValue()
            case .endObject:
                return true
            default:
                throw tokenizer.impossible()
            }
        }
    }

    /// When the value is an array, calls `element` for each of its elements in order and returns `true`; otherwise
    /// skips the value and returns `false`. `element` reads the element (or not).
    @discardableResult
    public mutating func readArray(_ element: (inout JSONReader) throws(JSONError) -> Void) throws(JSONError) -> Bool {
        guard let first = try valueToken(decoding: false) else { return false }
        guard case .beginArray = first else {
            try tokenizer.skip(after: first)
            return false
        }
        while true {
            // An element's first token is never `]`: this one ends the array.
            let token = try tokenizer.next(decoding: true)
            if case .endArray = token {
                return true
            }
            lookahead = token
            valuePending = true
            try element(&self)
            try skipValue()
        }
    }

    /// The first token of the value to read, or `nil` when it was read already.
    private mutating func valueToken(decoding: Bool) throws(JSONError) -> JSONTokenizer.Token? {
        guard valuePending else { return nil }
        valuePending = false
        if let token = lookahead {
            lookahead = nil
            return token
        }
        return try tokenizer.next(decoding: decoding)
    }

    // MARK: Keys

    // The key accessors change nothing: they are `mutating` so that a call passes the reader in place (a
    // size-optimised build otherwise copies all of it for each call).

    /// Whether the key of the member being read equals `name` as Swift strings compare (canonical equivalence); the
    /// UTF-8 bytes are compared first.
    public mutating func keyEquals(_ name: StaticString) -> Bool {
        guard let key = currentKey else { return false }
        var text: String?
        return matches(key, name, text: &text)
    }

    /// The position in `names` of the first that equals the key of the member being read (as `keyEquals(_:)`
    /// compares), or `nil`: one call to tell which of several members this is. An ASCII key is compared only with
    /// the ASCII names of its length (and the non-ASCII names, which may be canonically equivalent to it).
    public mutating func keyIndex(in names: KeyNames) -> Int? {
        guard let key = currentKey else { return nil }
        var text: String?
        guard key.isASCII else {
            for position in names.names.indices where matches(key, names.names[position], text: &text) {
                return position
            }
            return nil
        }
        var found: Int?
        if key.range.count < names.asciiByLength.count {
            for position in names.asciiByLength[key.range.count] where withKeyBytes(key, { Self.equal($0, names.names[position]) }) {
                found = position
                break
            }
        }
        for position in names.nonASCII where position < found ?? Int.max && matches(key, names.names[position], text: &text) {
            return position
        }
        return found
    }

    /// Whether `key` equals `name` as Swift strings compare; `text` caches the key as a `String` when one is needed.
    @inline(__always)
    private mutating func matches(_ key: Key, _ name: StaticString, text: inout String?) -> Bool {
        if key.isASCII, name.isASCII {
            // Different ASCII texts are never canonically equivalent: compare bytes.
            return name.utf8CodeUnitCount == key.range.count && withKeyBytes(key) { Self.equal($0, name) }
        }
        // A non-ASCII text can be canonically equivalent to an ASCII one (U+212A KELVIN SIGN is K).
        let keyText = text ?? keyString()
        text = keyText
        return keyText == name.description
    }

    private static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> Bool {
        name.withUTF8Buffer { expected in
            guard bytes.count == expected.count else { return false }
            for index in 0..<bytes.count where bytes[index] != expected[index] {
                return false
            }
            return true
        }
    }

    /// The key of the member being read (empty outside `readObject(_:)`'s closure).
    public var key: String {
        mutating get {
            keyString()
        }
    }

    private mutating func keyString() -> String {
        guard let key = currentKey else { return "" }
        return withKeyBytes(key) { String(decoding: $0, as: UTF8.self) }
    }

    private mutating func withKeyBytes<R>(_ key: Key, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if key.isDecoded {
            return decodedKeys[key.range].withUnsafeBufferPointer(body)
        }
        return body(UnsafeBufferPointer(rebasing: tokenizer.input[key.range]))
    }
}

/// Member names told apart by `JSONReader.keyIndex(in:)`, grouped once by UTF-8 length (make them once: a `static let`).
public struct KeyNames: ExpressibleByArrayLiteral, Sendable {
    let names: [StaticString]
    /// For each UTF-8 length, the positions of the ASCII names of that length, in order.
    let asciiByLength: [[Int]]
    /// The positions of the other names, in order.
    let nonASCII: [Int]

    public init(_ names: [StaticString]) {
        self.names = names
        var byLength: [[Int]] = []
        var nonASCII: [Int] = []
        for (position, name) in names.enumerated() {
            guard name.isASCII else {
                nonASCII.append(position)
                continue
            }
            let length = name.utf8CodeUnitCount
            if byLength.count <= length { byLength += Array(repeating: [], count: length + 1 - byLength.count) }
            byLength[length].append(position)
        }
        asciiByLength = byLength
        self.nonASCII = nonASCII
    }

    public init(arrayLiteral names: StaticString...) {
        self.init(names)
    }
}
