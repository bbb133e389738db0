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

/// Builds a `JSON` tree from `JSONTokenizer`'s tokens. Nesting uses an explicit stack, so deep input cannot overflow
/// the call stack whatever `maxDepth` is.
struct JSONParser {
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

    /// Parses a whole document from `input` (which must stay valid for the duration of the call).
    static func parse(_ input: UnsafeBufferPointer<UInt8>, options: JSONParseOptions) -> Result<JSON, JSONError> {
        var tokenizer = JSONTokenizer(input: input, maxDepth: options.maxDepth)
        do {
            return .success(try parseDocument(&tokenizer, rejectDuplicateKeys: options.rejectDuplicateKeys))
        } catch {
            return .failure(error)
        }
    }

    private static func parseDocument(_ tokenizer: inout JSONTokenizer, rejectDuplicateKeys: Bool) throws(JSONError) -> JSON {
        var stack: [Frame] = []
        while true {
            var value: JSON
            switch try tokenizer.next(decoding: true) {
            case .beginObject:
                stack.append(Frame(isObject: true))
                continue
            case .beginArray:
                stack.append(Frame(isObject: false))
                continue
            case .key(let token):
                guard let top = stack.indices.last else { throw tokenizer.impossible() }
                let key = tokenizer.string(token)
                // Checking costs key comparisons, so without rejection `JSONObject` works it out only if asked.
                var isDuplicate: Bool?
                if rejectDuplicateKeys {
                    if stack[top].object.contains(key: key) {
                        throw JSONError(.duplicateKey, offset: token.offset)
                    }
                    isDuplicate = false
                }
                stack[top].key = key
                stack[top].keyIsDuplicate = isDuplicate
                continue
            case .endObject:
                guard let frame = stack.popLast() else { throw tokenizer.impossible() }
                value = .object(frame.object)
            case .endArray:
                guard let frame = stack.popLast() else { throw tokenizer.impossible() }
                value = .array(frame.array)
            case .string(let token):
                value = .string(tokenizer.string(token))
            case .int(let int):
                value = .int(int)
            case .double(let double):
                value = .double(double)
            case .bool(let bool):
                value = .bool(bool)
            case .null:
                value = .null
            case .end:
                throw tokenizer.impossible()
            }
            // Store the finished value in its container, or finish the document with it.
            guard let top = stack.indices.last else {
                guard case .end = try tokenizer.next(decoding: false) else { throw tokenizer.impossible() }
                return value
            }
            if stack[top].isObject {
                stack[top].object.append(key: stack[top].key, value: value, isDuplicate: stack[top].keyIsDuplicate)
            } else {
                stack[top].array.append(value)
            }
        }
    }
}
