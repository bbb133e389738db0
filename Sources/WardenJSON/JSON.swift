/// A JSON value.
///
/// Numbers written without fraction or exponent that fit in `Int64` are kept exactly as `.int`; every other number is
/// a `.double`. Equality and hashing are JSON equality: `.int(1) == .double(1.0)` (a number equals another number of
/// the same mathematical value when the double is exactly that integer), and objects compare without regard to member
/// order (see `JSONObject`).
public enum JSON: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// An integer number that fits in `Int64`, kept exactly.
    case int(Int64)
    /// Any other number; always finite when produced by the parser.
    case double(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSON])
    /// An object, in member order.
    case object(JSONObject)

    // MARK: Accessors

    /// The value of `key` when this is an object that has it, otherwise `nil` (the last occurrence for duplicates).
    public subscript(key: String) -> JSON? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    /// The element at `index` when this is an array and the index is in bounds, otherwise `nil`.
    public subscript(index: Int) -> JSON? {
        guard case .array(let array) = self, array.indices.contains(index) else { return nil }
        return array[index]
    }

    /// The string when this is a string.
    public var stringValue: String? {
        guard case .string(let value) = self else { return nil }
        return value
    }

    /// The number as `Int64` when it is an integer: an `.int`, or a `.double` holding an integral value in range.
    public var int64Value: Int64? {
        switch self {
        case .int(let value): value
        case .double(let value): Int64(exactly: value)
        default: nil
        }
    }

    /// The number as `Int` when it is an integer that fits: an `.int`, or a `.double` holding an integral value.
    public var intValue: Int? {
        int64Value.flatMap { Int(exactly: $0) }
    }

    /// The number as `Double` (an `.int` beyond ±2^53 is rounded to the nearest double).
    public var doubleValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// The boolean when this is `true` or `false`.
    public var boolValue: Bool? {
        guard case .bool(let value) = self else { return nil }
        return value
    }

    /// The elements when this is an array.
    public var arrayValue: [JSON]? {
        guard case .array(let value) = self else { return nil }
        return value
    }

    /// The object when this is an object.
    public var objectValue: JSONObject? {
        guard case .object(let value) = self else { return nil }
        return value
    }

    /// Whether this is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Whether this is a number (`.int` or `.double`).
    public var isNumber: Bool {
        switch self {
        case .int, .double: true
        default: false
        }
    }

    // MARK: Typed-throwing accessors

    /// The value of `key`; throws `.typeMismatch` when this is not an object and `.keyNotFound` when it lacks the key.
    public func require(_ key: String) throws(JSONError) -> JSON {
        guard case .object(let object) = self else { throw JSONError(.typeMismatch) }
        guard let value = object[key] else { throw JSONError(.keyNotFound) }
        return value
    }

    /// The string, or `.typeMismatch`.
    public func requireString() throws(JSONError) -> String {
        guard let value = stringValue else { throw JSONError(.typeMismatch) }
        return value
    }

    /// The integer (see `intValue`), or `.typeMismatch`.
    public func requireInt() throws(JSONError) -> Int {
        guard let value = intValue else { throw JSONError(.typeMismatch) }
        return value
    }

    /// The number as `Double`, or `.typeMismatch`.
    public func requireDouble() throws(JSONError) -> Double {
        guard let value = doubleValue else { throw JSONError(.typeMismatch) }
        return value
    }

    /// The boolean, or `.typeMismatch`.
    public func requireBool() throws(JSONError) -> Bool {
        guard let value = boolValue else { throw JSONError(.typeMismatch) }
        return value
    }

    /// The elements, or `.typeMismatch`.
    public func requireArray() throws(JSONError) -> [JSON] {
        guard let value = arrayValue else { throw JSONError(.typeMismatch) }
        return value
    }

    /// The object, or `.typeMismatch`.
    public func requireObject() throws(JSONError) -> JSONObject {
        guard let value = objectValue else { throw JSONError(.typeMismatch) }
        return value
    }

    // MARK: Equatable & Hashable

    /// JSON equality (numbers by value across `.int`/`.double`, objects without regard to order).
    public static func == (lhs: JSON, rhs: JSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.double(let a), .double(let b)): a == b
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)): Int64(exactly: b) == a
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a == b
        default: false
        }
    }

    /// Hash consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null:
            hasher.combine(0 as UInt8)
        case .bool(let value):
            hasher.combine(1 as UInt8)
            hasher.combine(value)
        case .int(let value):
            hasher.combine(2 as UInt8)
            hasher.combine(value)
        case .double(let value):
            if let exact = Int64(exactly: value) {
                hasher.combine(2 as UInt8)
                hasher.combine(exact)
            } else {
                hasher.combine(3 as UInt8)
                hasher.combine(value)
            }
        case .string(let value):
            hasher.combine(4 as UInt8)
            hasher.combine(value)
        case .array(let value):
            hasher.combine(5 as UInt8)
            hasher.combine(value)
        case .object(let value):
            hasher.combine(6 as UInt8)
            hasher.combine(value)
        }
    }
}

// MARK: - Literals

extension JSON: ExpressibleByNilLiteral {
    /// `null`.
    public init(nilLiteral: ()) {
        self = .null
    }
}

extension JSON: ExpressibleByBooleanLiteral {
    /// A boolean.
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}

extension JSON: ExpressibleByIntegerLiteral {
    /// An exact integer.
    public init(integerLiteral value: Int64) {
        self = .int(value)
    }
}

extension JSON: ExpressibleByFloatLiteral {
    /// A double.
    public init(floatLiteral value: Double) {
        self = .double(value)
    }
}

extension JSON: ExpressibleByStringLiteral {
    /// A string.
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension JSON: ExpressibleByArrayLiteral {
    /// An array.
    public init(arrayLiteral elements: JSON...) {
        self = .array(elements)
    }
}

extension JSON: ExpressibleByDictionaryLiteral {
    /// An object in literal order (a repeated key replaces the earlier value).
    public init(dictionaryLiteral elements: (String, JSON)...) {
        var object = JSONObject(minimumCapacity: elements.count)
        for (key, value) in elements {
            object[key] = value
        }
        self = .object(object)
    }
}

// MARK: - Description

extension JSON: CustomStringConvertible {
    /// The compact serialization (this includes the content: do not log values that may hold secrets).
    public var description: String { text }
}
