/// Encodes `Encodable` values to a `JSON` value or to compact UTF-8 JSON bytes.
///
/// Object members appear in the order they are encoded (declaration order for synthesized `Encodable`); encoding a
/// key again replaces its value in place. `nil` optionals are omitted by synthesized conformances (they use
/// `encodeIfPresent`). Dictionaries with `String` keys are written with sorted keys when `sortsDictionaryKeys` is set
/// (the default), because `Dictionary` iteration order differs between processes.
///
/// Errors are `EncodingError.invalidValue`: non-finite `Double`/`Float` values, and unsigned integers above
/// `Int64.max` that a `Double` cannot hold exactly. Messages name types, never values.
public struct JSONValueEncoder: Sendable {
    /// Values made available to `Encodable` implementations through `Encoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable]
    /// Whether `[String: Value]` dictionaries are written in ascending key order (String `<`). Default `true`.
    public var sortsDictionaryKeys: Bool

    /// Creates an encoder.
    public init(userInfo: [CodingUserInfoKey: any Sendable] = [:], sortsDictionaryKeys: Bool = true) {
        self.userInfo = userInfo
        self.sortsDictionaryKeys = sortsDictionaryKeys
    }

    /// Encodes `value` as a `JSON` value.
    public func encode<T: Encodable>(_ value: T) throws -> JSON {
        var info: [CodingUserInfoKey: Any] = [:]
        for (key, value) in userInfo {
            info[key] = value
        }
        let root = JSONEncoderImpl(codingPath: [], userInfo: info, sortsDictionaryKeys: sortsDictionaryKeys)
        guard let node = try root.box(value, codingPath: []) else {
            throw EncodingError.invalidValue(
                value,
                EncodingError.Context(codingPath: [], debugDescription: "Top-level \(T.self) did not encode any values.")
            )
        }
        return node.finalized()
    }

    /// Encodes `value` as compact UTF-8 JSON.
    public func encodeBytes<T: Encodable>(_ value: T) throws -> [UInt8] {
        try encode(value).serialized()
    }

    /// Encodes `value` as a compact JSON string.
    public func encodeString<T: Encodable>(_ value: T) throws -> String {
        try encode(value).text
    }
}

// MARK: - Intermediate tree

/// An object being encoded; shared by reference so nested containers can keep writing into it.
final class EncodedObject {
    private(set) var keys: [String] = []
    private(set) var values: [EncodedNode] = []
    /// Key to position, maintained once the object is larger than `JSONObject.indexThreshold`.
    private var index: [String: Int] = [:]

    private func position(of key: String) -> Int? {
        if keys.count > JSONObject.indexThreshold {
            return index[key]
        }
        return keys.firstIndex(of: key)
    }

    func node(forKey key: String) -> EncodedNode? {
        position(of: key).map { values[$0] }
    }

    /// Reorders the members by key (String `<`).
    func sortByKey() {
        let order = keys.indices.sorted { keys[$0] < keys[$1] }
        keys = order.map { keys[$0] }
        values = order.map { values[$0] }
        if !index.isEmpty {
            for (position, key) in keys.enumerated() {
                index[key] = position
            }
        }
    }

    /// Sets the value of `key`, replacing an existing value in place.
    func set(_ node: EncodedNode, forKey key: String) {
        if let position = position(of: key) {
            values[position] = node
            return
        }
        appendUnique(node, forKey: key)
    }

    /// Appends a member whose key is known not to be present yet.
    func appendUnique(_ node: EncodedNode, forKey key: String) {
        keys.append(key)
        values.append(node)
        if keys.count > JSONObject.indexThreshold {
            if index.isEmpty {
                for (position, key) in keys.enumerated() {
                    index[key] = position
                }
            } else {
                index[key] = keys.count - 1
            }
        }
    }
}

/// An array being encoded; shared by reference so nested containers can keep writing into it.
final class EncodedArray {
    var values: [EncodedNode] = []
}

/// A value being encoded.
enum EncodedNode {
    case value(JSON)
    case object(EncodedObject)
    case array(EncodedArray)
    /// A `superEncoder` whose content is read when the tree is finalized.
    case encoder(JSONEncoderImpl)

    func finalized() -> JSON {
        switch self {
        case .value(let json):
            return json
        case .object(let object):
            var result = JSONObject(minimumCapacity: object.keys.count)
            for (key, value) in zip(object.keys, object.values) {
                result.append(key: key, value: value.finalized(), isDuplicate: false)
            }
            return .object(result)
        case .array(let array):
            return .array(array.values.map { $0.finalized() })
        case .encoder(let encoder):
            return encoder.node?.finalized() ?? .object(JSONObject())
        }
    }
}

/// Lets the encoder find `[String: Value]` dictionaries to write them with sorted keys.
protocol StringKeyedEncodableDictionary {
    func encodeSortedEntries(into object: EncodedObject, encoder: JSONEncoderImpl, codingPath: [any CodingKey]) throws
}

extension Dictionary: StringKeyedEncodableDictionary where Key == String, Value: Encodable {
    func encodeSortedEntries(into object: EncodedObject, encoder: JSONEncoderImpl, codingPath: [any CodingKey]) throws {
        for (key, value) in self {
            let node = try encoder.box(value, codingPath: codingPath + [JSONCodingKey(stringValue: key)])
            object.appendUnique(node ?? .object(EncodedObject()), forKey: key)
        }
        // Sorting the encoded (concrete) entries avoids sorting generic tuples.
        object.sortByKey()
    }
}

// MARK: - Encoder

/// The `Encoder` for one value; also its single-value container.
final class JSONEncoderImpl: Encoder, SingleValueEncodingContainer {
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any]
    let sortsDictionaryKeys: Bool
    /// What has been encoded so far.
    var node: EncodedNode?

    init(codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: Any], sortsDictionaryKeys: Bool) {
        self.codingPath = codingPath
        self.userInfo = userInfo
        self.sortsDictionaryKeys = sortsDictionaryKeys
    }

    func child(codingPath: [any CodingKey]) -> JSONEncoderImpl {
        JSONEncoderImpl(codingPath: codingPath, userInfo: userInfo, sortsDictionaryKeys: sortsDictionaryKeys)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let object: EncodedObject
        if case .object(let existing)? = node {
            object = existing
        } else {
            object = EncodedObject()
            node = .object(object)
        }
        return KeyedEncodingContainer(
            JSONKeyedEncodingContainer<Key>(encoder: self, object: object, codingPath: codingPath)
        )
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let array: EncodedArray
        if case .array(let existing)? = node {
            array = existing
        } else {
            array = EncodedArray()
            node = .array(array)
        }
        return JSONUnkeyedEncodingContainer(encoder: self, array: array, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        self
    }

    // MARK: Boxing

    /// Encodes any value; `nil` when it encoded nothing.
    func box<T: Encodable>(_ value: T, codingPath: @autoclosure () -> [any CodingKey]) throws -> EncodedNode? {
        if T.self == JSON.self, let json = value as? JSON {
            return .value(json)
        }
        if T.self == String.self, let string = value as? String {
            return .value(.string(string))
        }
        if T.self == Int.self, let int = value as? Int {
            return .value(.int(Int64(int)))
        }
        if T.self == Bool.self, let bool = value as? Bool {
            return .value(.bool(bool))
        }
        if T.self == Double.self, let double = value as? Double {
            return .value(try Self.boxDouble(double, codingPath()))
        }
        if sortsDictionaryKeys, let dictionary = value as? any StringKeyedEncodableDictionary {
            let object = EncodedObject()
            try dictionary.encodeSortedEntries(into: object, encoder: self, codingPath: codingPath())
            return .object(object)
        }
        let encoder = child(codingPath: codingPath())
        try value.encode(to: encoder)
        return encoder.node
    }

    /// `box`, with an empty object for a value that encoded nothing.
    func boxNested<T: Encodable>(_ value: T, codingPath: @autoclosure () -> [any CodingKey]) throws -> EncodedNode {
        try box(value, codingPath: codingPath()) ?? .object(EncodedObject())
    }

    static func boxDouble(_ value: Double, _ codingPath: @autoclosure () -> [any CodingKey]) throws -> JSON {
        guard value.isFinite else {
            throw EncodingError.invalidValue(
                value,
                EncodingError.Context(
                    codingPath: codingPath(),
                    debugDescription: "Non-finite Double cannot be encoded in JSON."
                )
            )
        }
        return .double(value)
    }

    /// Floats are widened through their shortest decimal form, so `Float(0.1)` is written as `0.1`.
    static func boxFloat(_ value: Float, _ codingPath: @autoclosure () -> [any CodingKey]) throws -> JSON {
        guard value.isFinite else {
            throw EncodingError.invalidValue(
                value,
                EncodingError.Context(
                    codingPath: codingPath(),
                    debugDescription: "Non-finite Float cannot be encoded in JSON."
                )
            )
        }
        return .double(Double(value.description) ?? Double(value))
    }

    static func boxInteger<T: FixedWidthInteger>(
        _ value: T,
        _ codingPath: @autoclosure () -> [any CodingKey]
    ) throws -> JSON {
        if let int = Int64(exactly: value) {
            return .int(int)
        }
        if let double = Double(exactly: value) {
            return .double(double)
        }
        throw EncodingError.invalidValue(
            value,
            EncodingError.Context(
                codingPath: codingPath(),
                debugDescription: "\(T.self) value above Int64.max cannot be represented exactly in JSON."
            )
        )
    }

    // MARK: SingleValueEncodingContainer

    func encodeNil() { node = .value(.null) }
    func encode(_ value: Bool) { node = .value(.bool(value)) }
    func encode(_ value: String) { node = .value(.string(value)) }
    func encode(_ value: Double) throws { node = .value(try Self.boxDouble(value, codingPath)) }
    func encode(_ value: Float) throws { node = .value(try Self.boxFloat(value, codingPath)) }
    func encode(_ value: Int) throws { node = .value(try Self.boxInteger(value, codingPath)) }
    func encode(_ value: Int8) throws { node = .value(try Self.boxInteger(value, codingPath)) }
    func encode(_ value: Int16) throws { node = .value(try Self.boxInteger(value, codingPath)) }
    func encode(_ value: Int32) throws { node = .value(try Self.boxInteger(value, codingPath)) }
    func encode(_ value: Int64) throws { node = .value(try Self.boxInteger(value, codingPath)) }
    func encode(_ value: UInt) throws { node = .value(try Self.boxInteger(value, codingPath)) }
    func encode(_ value: UInt8) throws { node = .value(try Self.boxInteger(value, codingPath)) }
    func encode(_ value: UInt16) throws { node = .value(try Self.boxInteger(value, codingPath)) }
    func encode(_ value: UInt32) throws { node = .value(try Self.boxInteger(value, codingPath)) }
    func encode(_ value: UInt64) throws { node = .value(try Self.boxInteger(value, codingPath)) }
    func encode<T: Encodable>(_ value: T) throws { node = try boxNested(value, codingPath: codingPath) }
}

// MARK: - Keyed container

struct JSONKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: JSONEncoderImpl
    let object: EncodedObject
    let codingPath: [any CodingKey]

    private func path(_ key: Key) -> [any CodingKey] {
        codingPath + [key]
    }

    private func set(_ json: JSON, _ key: Key) {
        object.set(.value(json), forKey: key.stringValue)
    }

    mutating func encodeNil(forKey key: Key) { set(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) { set(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) { set(.string(value), key) }

    mutating func encode(_ value: Double, forKey key: Key) throws {
        set(try JSONEncoderImpl.boxDouble(value, path(key)), key)
    }

    mutating func encode(_ value: Float, forKey key: Key) throws {
        set(try JSONEncoderImpl.boxFloat(value, path(key)), key)
    }

    mutating func encode(_ value: Int, forKey key: Key) throws {
        set(try JSONEncoderImpl.boxInteger(value, path(key)), key)
    }

    mutating func encode(_ value: Int8, forKey key: Key) throws {
        set(try JSONEncoderImpl.boxInteger(value, path(key)), key)
    }

    mutating func encode(_ value: Int16, forKey key: Key) throws {
        set(try JSONEncoderImpl.boxInteger(value, path(key)), key)
    }

    mutating func encode(_ value: Int32, forKey key: Key) throws {
        set(try JSONEncoderImpl.boxInteger(value, path(key)), key)
    }

    mutating func encode(_ value: Int64, forKey key: Key) throws {
        set(try JSONEncoderImpl.boxInteger(value, path(key)), key)
    }

    mutating func encode(_ value: UInt, forKey key: Key) throws {
        set(try JSONEncoderImpl.boxInteger(value, path(key)), key)
    }

    mutating func encode(_ value: UInt8, forKey key: Key) throws {
        set(try JSONEncoderImpl.boxInteger(value, path(key)), key)
    }

    mutating func encode(_ value: UInt16, forKey key: Key) throws {
        set(try JSONEncoderImpl.boxInteger(value, path(key)), key)
    }

    mutating func encode(_ value: UInt32, forKey key: Key) throws {
        set(try JSONEncoderImpl.boxInteger(value, path(key)), key)
    }

    mutating func encode(_ value: UInt64, forKey key: Key) throws {
        set(try JSONEncoderImpl.boxInteger(value, path(key)), key)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        object.set(try encoder.boxNested(value, codingPath: path(key)), forKey: key.stringValue)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type,
        forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let nested: EncodedObject
        if case .object(let existing)? = object.node(forKey: key.stringValue) {
            nested = existing
        } else {
            nested = EncodedObject()
            object.set(.object(nested), forKey: key.stringValue)
        }
        return KeyedEncodingContainer(
            JSONKeyedEncodingContainer<NestedKey>(encoder: encoder, object: nested, codingPath: path(key))
        )
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested: EncodedArray
        if case .array(let existing)? = object.node(forKey: key.stringValue) {
            nested = existing
        } else {
            nested = EncodedArray()
            object.set(.array(nested), forKey: key.stringValue)
        }
        return JSONUnkeyedEncodingContainer(encoder: encoder, array: nested, codingPath: path(key))
    }

    mutating func superEncoder() -> any Encoder {
        let superEncoder = encoder.child(codingPath: codingPath + [JSONCodingKey.superKey])
        object.set(.encoder(superEncoder), forKey: JSONCodingKey.superKey.stringValue)
        return superEncoder
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let superEncoder = encoder.child(codingPath: path(key))
        object.set(.encoder(superEncoder), forKey: key.stringValue)
        return superEncoder
    }
}

// MARK: - Unkeyed container

struct JSONUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let encoder: JSONEncoderImpl
    let array: EncodedArray
    let codingPath: [any CodingKey]

    var count: Int { array.values.count }

    private var nextPath: [any CodingKey] {
        codingPath + [JSONCodingKey(index: count)]
    }

    private func append(_ json: JSON) {
        array.values.append(.value(json))
    }

    mutating func encodeNil() { append(.null) }
    mutating func encode(_ value: Bool) { append(.bool(value)) }
    mutating func encode(_ value: String) { append(.string(value)) }
    mutating func encode(_ value: Double) throws { append(try JSONEncoderImpl.boxDouble(value, nextPath)) }
    mutating func encode(_ value: Float) throws { append(try JSONEncoderImpl.boxFloat(value, nextPath)) }
    mutating func encode(_ value: Int) throws { append(try JSONEncoderImpl.boxInteger(value, nextPath)) }
    mutating func encode(_ value: Int8) throws { append(try JSONEncoderImpl.boxInteger(value, nextPath)) }
    mutating func encode(_ value: Int16) throws { append(try JSONEncoderImpl.boxInteger(value, nextPath)) }
    mutating func encode(_ value: Int32) throws { append(try JSONEncoderImpl.boxInteger(value, nextPath)) }
    mutating func encode(_ value: Int64) throws { append(try JSONEncoderImpl.boxInteger(value, nextPath)) }
    mutating func encode(_ value: UInt) throws { append(try JSONEncoderImpl.boxInteger(value, nextPath)) }
    mutating func encode(_ value: UInt8) throws { append(try JSONEncoderImpl.boxInteger(value, nextPath)) }
    mutating func encode(_ value: UInt16) throws { append(try JSONEncoderImpl.boxInteger(value, nextPath)) }
    mutating func encode(_ value: UInt32) throws { append(try JSONEncoderImpl.boxInteger(value, nextPath)) }
    mutating func encode(_ value: UInt64) throws { append(try JSONEncoderImpl.boxInteger(value, nextPath)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let node = try encoder.boxNested(value, codingPath: nextPath)
        array.values.append(node)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        let nested = EncodedObject()
        let path = nextPath
        array.values.append(.object(nested))
        return KeyedEncodingContainer(
            JSONKeyedEncodingContainer<NestedKey>(encoder: encoder, object: nested, codingPath: path)
        )
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = EncodedArray()
        let path = nextPath
        array.values.append(.array(nested))
        return JSONUnkeyedEncodingContainer(encoder: encoder, array: nested, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let superEncoder = encoder.child(codingPath: nextPath)
        array.values.append(.encoder(superEncoder))
        return superEncoder
    }
}

// MARK: - JSON: Encodable

extension JSON: Encodable {
    /// Stores the value as is with `JSONValueEncoder`; with other encoders, writes it through their containers.
    public func encode(to encoder: any Encoder) throws {
        if let impl = encoder as? JSONEncoderImpl {
            impl.node = .value(self)
            return
        }
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .int(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .double(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .array(let array):
            var container = encoder.unkeyedContainer()
            for element in array {
                try container.encode(element)
            }
        case .object(let object):
            try object.encode(to: encoder)
        }
    }
}

extension JSONObject: Encodable {
    /// Encodes the effective members (last occurrence of each key) in stored order.
    public func encode(to encoder: any Encoder) throws {
        if let impl = encoder as? JSONEncoderImpl {
            impl.node = .value(.object(self))
            return
        }
        var container = encoder.container(keyedBy: JSONCodingKey.self)
        try forEachEffectiveMember { key, value in
            try container.encode(value, forKey: JSONCodingKey(stringValue: key))
        }
    }
}
