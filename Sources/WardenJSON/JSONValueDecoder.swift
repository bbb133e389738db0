/// Decodes `Decodable` values from a `JSON` value or from UTF-8 JSON bytes.
///
/// Errors are Swift `DecodingError`s with the coding path; their messages name types and JSON kinds, never values.
/// Invalid JSON input throws `DecodingError.dataCorrupted` whose `underlyingError` is the `JSONError`.
///
/// Numbers: integer types accept `.int` values that fit and `.double` values that are exactly integral and fit
/// (otherwise `dataCorrupted`); `Double` and `Float` accept any number (`Float` rejects finite values beyond its range).
public struct JSONValueDecoder: Sendable {
    /// Values made available to `Decodable` implementations through `Decoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable]
    /// Options used when decoding from bytes.
    public var parseOptions: JSONParseOptions

    /// Creates a decoder.
    public init(userInfo: [CodingUserInfoKey: any Sendable] = [:], parseOptions: JSONParseOptions = JSONParseOptions()) {
        self.userInfo = userInfo
        self.parseOptions = parseOptions
    }

    /// Decodes a value of type `T` from a `JSON` value.
    public func decode<T: Decodable>(_ type: T.Type = T.self, from json: JSON) throws -> T {
        var info: [CodingUserInfoKey: Any] = [:]
        for (key, value) in userInfo {
            info[key] = value
        }
        let root = JSONDecoderImpl(value: json, codingPath: [], userInfo: info)
        return try root.unbox(json, as: T.self, codingPath: [])
    }

    /// Parses UTF-8 JSON with `parseOptions`, then decodes a value of type `T` from it.
    ///
    /// Note: an integer array literal argument (`from: [1, 2]`) selects this overload (as bytes); write
    /// `from: JSON.array([1, 2])` to decode from a JSON literal.
    public func decode<T: Decodable>(_ type: T.Type = T.self, from bytes: some Collection<UInt8>) throws -> T {
        let json: JSON
        do {
            json = try JSON.parse(bytes, options: parseOptions)
        } catch {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: [],
                    debugDescription: "The given data was not valid JSON.",
                    underlyingError: error
                )
            )
        }
        return try decode(T.self, from: json)
    }
}

/// A coding key for dynamic object keys, array indices and `super`.
struct JSONCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }

    /// The key Foundation-style coders use for an element of an unkeyed container.
    init(index: Int) {
        self.stringValue = "Index \(index)"
        self.intValue = index
    }

    static let superKey = JSONCodingKey(stringValue: "super")
}

extension JSON {
    /// A short name of the kind of value, for error messages (never the value itself).
    var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

// MARK: - Decoder

/// The `Decoder` for one value.
final class JSONDecoderImpl: Decoder, SingleValueDecodingContainer {
    let value: JSON
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any]

    init(value: JSON, codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: Any]) {
        self.value = value
        self.codingPath = codingPath
        self.userInfo = userInfo
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else {
            throw mismatch([String: JSON].self, value, codingPath)
        }
        return KeyedDecodingContainer(JSONKeyedDecodingContainer<Key>(decoder: self, object: object))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let array) = value else {
            throw mismatch([JSON].self, value, codingPath)
        }
        return JSONUnkeyedDecodingContainer(decoder: self, array: array)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        self
    }

    /// A decoder for a nested value.
    func child(_ value: JSON, codingPath: [any CodingKey]) -> JSONDecoderImpl {
        JSONDecoderImpl(value: value, codingPath: codingPath, userInfo: userInfo)
    }

    // MARK: Unboxing

    func unbox<T: Decodable>(_ value: JSON, as type: T.Type, codingPath: @autoclosure () -> [any CodingKey]) throws -> T {
        if T.self == JSON.self, let json = value as? T {
            return json
        }
        if T.self == String.self, let string = try unboxString(value, codingPath()) as? T {
            return string
        }
        if T.self == Int.self, let int = try unboxInteger(value, as: Int.self, codingPath()) as? T {
            return int
        }
        if T.self == Double.self, let double = try unboxDouble(value, codingPath()) as? T {
            return double
        }
        if T.self == Bool.self, let bool = try unboxBool(value, codingPath()) as? T {
            return bool
        }
        return try T(from: child(value, codingPath: codingPath()))
    }

    func unboxBool(_ value: JSON, _ codingPath: @autoclosure () -> [any CodingKey]) throws -> Bool {
        guard case .bool(let bool) = value else { throw mismatch(Bool.self, value, codingPath()) }
        return bool
    }

    func unboxString(_ value: JSON, _ codingPath: @autoclosure () -> [any CodingKey]) throws -> String {
        guard case .string(let string) = value else { throw mismatch(String.self, value, codingPath()) }
        return string
    }

    func unboxDouble(_ value: JSON, _ codingPath: @autoclosure () -> [any CodingKey]) throws -> Double {
        switch value {
        case .double(let double): return double
        case .int(let int): return Double(int)
        default: throw mismatch(Double.self, value, codingPath())
        }
    }

    func unboxFloat(_ value: JSON, _ codingPath: @autoclosure () -> [any CodingKey]) throws -> Float {
        let double = try unboxDouble(value, codingPath())
        let float = Float(double)
        guard float.isFinite || !double.isFinite else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: codingPath(), debugDescription: "Number does not fit in Float.")
            )
        }
        return float
    }

    func unboxInteger<T: FixedWidthInteger>(
        _ value: JSON,
        as type: T.Type,
        _ codingPath: @autoclosure () -> [any CodingKey]
    ) throws -> T {
        let result: T?
        switch value {
        case .int(let int): result = T(exactly: int)
        case .double(let double): result = T(exactly: double)
        default: throw mismatch(T.self, value, codingPath())
        }
        guard let result else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: codingPath(), debugDescription: "Number does not fit in \(T.self).")
            )
        }
        return result
    }

    /// `valueNotFound` for `null`, `typeMismatch` otherwise.
    func mismatch(_ expected: Any.Type, _ value: JSON, _ codingPath: [any CodingKey]) -> DecodingError {
        if value.isNull {
            return DecodingError.valueNotFound(
                expected,
                DecodingError.Context(
                    codingPath: codingPath,
                    debugDescription: "Expected \(expected) value but found null instead."
                )
            )
        }
        return DecodingError.typeMismatch(
            expected,
            DecodingError.Context(
                codingPath: codingPath,
                debugDescription: "Expected to decode \(expected) but found \(value.kindDescription) instead."
            )
        )
    }

    // MARK: SingleValueDecodingContainer

    func decodeNil() -> Bool { value.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try unboxBool(value, codingPath) }
    func decode(_ type: String.Type) throws -> String { try unboxString(value, codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try unboxDouble(value, codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try unboxFloat(value, codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try unboxInteger(value, as: type, codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try unboxInteger(value, as: type, codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try unboxInteger(value, as: type, codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try unboxInteger(value, as: type, codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try unboxInteger(value, as: type, codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try unboxInteger(value, as: type, codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try unboxInteger(value, as: type, codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try unboxInteger(value, as: type, codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try unboxInteger(value, as: type, codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try unboxInteger(value, as: type, codingPath) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try unbox(value, as: type, codingPath: codingPath) }
}

// MARK: - Keyed container

struct JSONKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: JSONDecoderImpl
    let object: JSONObject

    var codingPath: [any CodingKey] { decoder.codingPath }

    /// Distinct keys, ordered by the position of each key's last (effective) occurrence.
    var allKeys: [Key] {
        var keys: [Key] = []
        keys.reserveCapacity(object.count)
        object.forEachEffectiveMember { name, _ in
            if let key = Key(stringValue: name) {
                keys.append(key)
            }
        }
        return keys
    }

    func contains(_ key: Key) -> Bool {
        object.contains(key: key.stringValue)
    }

    private func value(for key: Key) throws -> JSON {
        guard let value = object[key.stringValue] else {
            throw DecodingError.keyNotFound(
                key,
                DecodingError.Context(
                    codingPath: codingPath,
                    debugDescription: "No value associated with key \"\(key.stringValue)\"."
                )
            )
        }
        return value
    }

    private func path(_ key: Key) -> [any CodingKey] {
        codingPath + [key]
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        try value(for: key).isNull
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        try decoder.unboxBool(value(for: key), path(key))
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try decoder.unboxString(value(for: key), path(key))
    }

    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try decoder.unboxDouble(value(for: key), path(key))
    }

    func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
        try decoder.unboxFloat(value(for: key), path(key))
    }

    func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
        try decoder.unboxInteger(value(for: key), as: type, path(key))
    }

    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 {
        try decoder.unboxInteger(value(for: key), as: type, path(key))
    }

    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 {
        try decoder.unboxInteger(value(for: key), as: type, path(key))
    }

    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 {
        try decoder.unboxInteger(value(for: key), as: type, path(key))
    }

    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 {
        try decoder.unboxInteger(value(for: key), as: type, path(key))
    }

    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt {
        try decoder.unboxInteger(value(for: key), as: type, path(key))
    }

    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 {
        try decoder.unboxInteger(value(for: key), as: type, path(key))
    }

    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 {
        try decoder.unboxInteger(value(for: key), as: type, path(key))
    }

    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 {
        try decoder.unboxInteger(value(for: key), as: type, path(key))
    }

    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 {
        try decoder.unboxInteger(value(for: key), as: type, path(key))
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decoder.unbox(value(for: key), as: type, codingPath: path(key))
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type,
        forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try decoder.child(value(for: key), codingPath: path(key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder.child(value(for: key), codingPath: path(key)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        let key = JSONCodingKey.superKey
        return decoder.child(object[key.stringValue] ?? .null, codingPath: codingPath + [key])
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        decoder.child(object[key.stringValue] ?? .null, codingPath: path(key))
    }
}

// MARK: - Unkeyed container

struct JSONUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let decoder: JSONDecoderImpl
    let array: [JSON]
    private(set) var currentIndex = 0

    init(decoder: JSONDecoderImpl, array: [JSON]) {
        self.decoder = decoder
        self.array = array
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { array.count }
    var isAtEnd: Bool { currentIndex >= array.count }

    private var currentPath: [any CodingKey] {
        codingPath + [JSONCodingKey(index: currentIndex)]
    }

    /// The current element, or `valueNotFound` at the end.
    private func current(_ type: Any.Type) throws -> JSON {
        guard currentIndex < array.count else {
            throw DecodingError.valueNotFound(
                type,
                DecodingError.Context(codingPath: currentPath, debugDescription: "Unkeyed container is at end.")
            )
        }
        return array[currentIndex]
    }

    /// Records that the current element was decoded and returns `result`.
    private mutating func advance<T>(returning result: T) -> T {
        currentIndex += 1
        return result
    }

    mutating func decodeNil() throws -> Bool {
        if try current(JSON.self).isNull {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool {
        try advance(returning: decoder.unboxBool(current(type), currentPath))
    }

    mutating func decode(_ type: String.Type) throws -> String {
        try advance(returning: decoder.unboxString(current(type), currentPath))
    }

    mutating func decode(_ type: Double.Type) throws -> Double {
        try advance(returning: decoder.unboxDouble(current(type), currentPath))
    }

    mutating func decode(_ type: Float.Type) throws -> Float {
        try advance(returning: decoder.unboxFloat(current(type), currentPath))
    }

    mutating func decode(_ type: Int.Type) throws -> Int {
        try advance(returning: decoder.unboxInteger(current(type), as: type, currentPath))
    }

    mutating func decode(_ type: Int8.Type) throws -> Int8 {
        try advance(returning: decoder.unboxInteger(current(type), as: type, currentPath))
    }

    mutating func decode(_ type: Int16.Type) throws -> Int16 {
        try advance(returning: decoder.unboxInteger(current(type), as: type, currentPath))
    }

    mutating func decode(_ type: Int32.Type) throws -> Int32 {
        try advance(returning: decoder.unboxInteger(current(type), as: type, currentPath))
    }

    mutating func decode(_ type: Int64.Type) throws -> Int64 {
        try advance(returning: decoder.unboxInteger(current(type), as: type, currentPath))
    }

    mutating func decode(_ type: UInt.Type) throws -> UInt {
        try advance(returning: decoder.unboxInteger(current(type), as: type, currentPath))
    }

    mutating func decode(_ type: UInt8.Type) throws -> UInt8 {
        try advance(returning: decoder.unboxInteger(current(type), as: type, currentPath))
    }

    mutating func decode(_ type: UInt16.Type) throws -> UInt16 {
        try advance(returning: decoder.unboxInteger(current(type), as: type, currentPath))
    }

    mutating func decode(_ type: UInt32.Type) throws -> UInt32 {
        try advance(returning: decoder.unboxInteger(current(type), as: type, currentPath))
    }

    mutating func decode(_ type: UInt64.Type) throws -> UInt64 {
        try advance(returning: decoder.unboxInteger(current(type), as: type, currentPath))
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try advance(returning: decoder.unbox(current(type), as: type, codingPath: currentPath))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        let element = try current(KeyedDecodingContainer<NestedKey>.self)
        return try advance(returning: decoder.child(element, codingPath: currentPath).container(keyedBy: type))
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let element = try current((any UnkeyedDecodingContainer).self)
        return try advance(returning: decoder.child(element, codingPath: currentPath).unkeyedContainer())
    }

    mutating func superDecoder() throws -> any Decoder {
        try advance(returning: decoder.child(current((any Decoder).self), codingPath: currentPath))
    }
}

// MARK: - JSON: Decodable

extension JSON: Decodable {
    /// Takes the value as is from `JSONValueDecoder`; with other decoders, reads whatever the decoder holds.
    public init(from decoder: any Decoder) throws {
        if let impl = decoder as? JSONDecoderImpl {
            self = impl.value
            return
        }
        if let container = try? decoder.singleValueContainer() {
            if container.decodeNil() {
                self = .null
                return
            }
            if let bool = try? container.decode(Bool.self) {
                self = .bool(bool)
                return
            }
            if let int = try? container.decode(Int64.self) {
                self = .int(int)
                return
            }
            if let double = try? container.decode(Double.self) {
                self = .double(double)
                return
            }
            if let string = try? container.decode(String.self) {
                self = .string(string)
                return
            }
        }
        if var container = try? decoder.unkeyedContainer() {
            var array: [JSON] = []
            while !container.isAtEnd {
                array.append(try container.decode(JSON.self))
            }
            self = .array(array)
            return
        }
        let container = try decoder.container(keyedBy: JSONCodingKey.self)
        var object = JSONObject()
        for key in container.allKeys {
            object.append(key: key.stringValue, value: try container.decode(JSON.self, forKey: key))
        }
        self = .object(object)
    }
}

extension JSONObject: Decodable {
    /// Decodes an object (see `JSON.init(from:)`); any other kind of value is a type mismatch.
    public init(from decoder: any Decoder) throws {
        let json = try JSON(from: decoder)
        guard case .object(let object) = json else {
            throw DecodingError.typeMismatch(
                JSONObject.self,
                DecodingError.Context(
                    codingPath: decoder.codingPath,
                    debugDescription: "Expected to decode an object but found \(json.kindDescription) instead."
                )
            )
        }
        self = object
    }
}
