import Testing
import WardenJSON

/// An encoder that hides `JSONValueEncoder`'s implementation type, to exercise `JSON`'s generic encoding path.
struct ForwardingEncoder: Encoder {
    let base: any Encoder
    var codingPath: [any CodingKey] { base.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { base.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        base.container(keyedBy: type)
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        base.unkeyedContainer()
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        base.singleValueContainer()
    }
}

struct EncodedThroughForeignEncoder: Encodable {
    let value: JSON

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: ForwardingEncoder(base: encoder))
    }
}

struct Point: Codable, Equatable {
    var x: Double
    var y: Double
    var label: String?
}

/// Encodes through every container kind by hand.
struct HandWritten: Encodable {
    enum Keys: String, CodingKey {
        case id, id2, nested, list, explicitNull, base
    }

    enum InnerKeys: String, CodingKey {
        case flag
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(1, forKey: .id)
        try container.encode(2, forKey: .id2)
        try container.encode(3, forKey: .id)  // replaces in place
        var nested = container.nestedContainer(keyedBy: InnerKeys.self, forKey: .nested)
        try nested.encode(true, forKey: .flag)
        var list = container.nestedUnkeyedContainer(forKey: .list)
        try list.encode("a")
        try list.encodeNil()
        var inner = list.nestedUnkeyedContainer()
        try inner.encode(Int8(-1))
        var innerObject = list.nestedContainer(keyedBy: InnerKeys.self)
        try innerObject.encode(false, forKey: .flag)
        try Point(x: 1, y: 2).encode(to: list.superEncoder())
        try container.encodeNil(forKey: .explicitNull)
        try "from super".encode(to: container.superEncoder(forKey: .base))
        // A second keyed container on the same encoder adds to the same object.
        var again = encoder.container(keyedBy: InnerKeys.self)
        try again.encode(true, forKey: .flag)
    }
}

struct EncodesNothing: Encodable {
    func encode(to encoder: any Encoder) throws {}
}

struct HoldsNothing: Encodable {
    var inner = EncodesNothing()
}

private let encoderInfoKey = CodingUserInfoKey(rawValue: "mode")!

struct WritesUserInfo: Encodable {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(encoder.userInfo[encoderInfoKey] as? String ?? "none")
    }
}

@Suite("JSONValueEncoder")
struct JSONValueEncoderTests {
    let encoder = JSONValueEncoder()

    func encodingError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> EncodingError? {
        do {
            try body()
            Issue.record("expected an EncodingError", sourceLocation: sourceLocation)
        } catch let error as EncodingError {
            return error
        } catch {
            Issue.record("expected an EncodingError, got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    func context(_ error: EncodingError) -> EncodingError.Context? {
        switch error {
        case .invalidValue(_, let context): context
        @unknown default: nil
        }
    }

    @Test func keysFollowDeclarationOrderAndNilIsOmitted() throws {
        let address = Address(street: "Main", zip: nil, tags: ["a", "b"])
        #expect(try encoder.encodeString(address) == #"{"street":"Main","tags":["a","b"]}"#)
        let point = Point(x: 1, y: -2.5, label: "p")
        #expect(try encoder.encodeString(point) == #"{"x":1,"y":-2.5,"label":"p"}"#)
        #expect(try encoder.encodeBytes(point) == Array(#"{"x":1,"y":-2.5,"label":"p"}"#.utf8))
        let value = try encoder.encode(point)
        #expect(value.objectValue?.keys == ["x", "y", "label"])
    }

    @Test func encodesProfile() throws {
        let value = try encoder.encode(Profile.example)
        let keys = try #require(value.objectValue?.keys)
        #expect(keys.first == "id")
        #expect(keys.last == "u64")
        #expect(!keys.contains("nickname"))
        #expect(value["id"] == .int(9_007_199_254_740_993))
        #expect(value["ratio"] == 0.25)
        #expect(value["role"] == "admin")
        #expect(value["addresses"]?[1]?.objectValue?.keys == ["street", "tags"])
        #expect(value["extra"] == Profile.example.extra)
        #expect(value["platform"] == .int(.min))
        #expect(value["u64"] == .int(.max))
        #expect(value["metadata"]?.objectValue?.keys == ["floor", "team"])
    }

    @Test func codableRoundTrip() throws {
        let bytes = try encoder.encodeBytes(Profile.example)
        let decoded = try JSONValueDecoder().decode(Profile.self, from: bytes)
        #expect(decoded == Profile.example)
        // Through the JSON value as well.
        #expect(try JSONValueDecoder().decode(Profile.self, from: encoder.encode(Profile.example)) == Profile.example)
        var other = Profile.example
        other.nickname = "Ada"
        other.email = nil
        other.primary = nil
        other.counters = nil
        other.extra = [1, [nil], ["a": "b"]]
        other.score = -1e-300
        #expect(try JSONValueDecoder().decode(Profile.self, from: encoder.encodeBytes(other)) == other)
        let points = [Point(x: 0.1, y: 1e300), Point(x: -0.0, y: 5, label: "é😀\n\"")]
        #expect(try JSONValueDecoder().decode([Point].self, from: encoder.encodeBytes(points)) == points)
    }

    @Test func dictionaryKeysAreSortedByDefault() throws {
        let dictionary = ["delta": 4, "alpha": 1, "charlie": 3, "bravo": 2, "echo": 5]
        #expect(try encoder.encodeString(dictionary) == #"{"alpha":1,"bravo":2,"charlie":3,"delta":4,"echo":5}"#)
        let nested = ["z": ["b": 1, "a": 2]]
        #expect(try encoder.encodeString(nested) == #"{"z":{"a":2,"b":1}}"#)
        let unsorted = JSONValueEncoder(sortsDictionaryKeys: false)
        let value = try unsorted.encode(dictionary)
        #expect(value == .object(JSONObject(dictionary.map { ($0.key, JSON.int(Int64($0.value))) })))
        #expect(Set(value.objectValue?.keys ?? []) == Set(dictionary.keys))
    }

    @Test func handWrittenContainers() throws {
        let text = try encoder.encodeString(HandWritten())
        #expect(
            text
                == #"{"id":3,"id2":2,"nested":{"flag":true},"list":["a",null,[-1],{"flag":false},{"x":1,"y":2}],"#
                + #""explicitNull":null,"base":"from super","flag":true}"#
        )
    }

    @Test func superEncoderForClassInheritance() throws {
        let dog = Dog(legs: 4, name: "Rex")
        let value = try encoder.encode(dog)
        #expect(value == ["name": "Rex", "super": ["legs": 4]])
        let decoded = try JSONValueDecoder().decode(Dog.self, from: value)
        #expect(decoded.name == "Rex")
        #expect(decoded.legs == 4)
    }

    @Test func topLevelValues() throws {
        #expect(try encoder.encode(5) == .int(5))
        #expect(try encoder.encode("s") == "s")
        #expect(try encoder.encode(true) == true)
        #expect(try encoder.encode(Int?.none) == nil)
        #expect(try encoder.encode([1, 2]) == [1, 2])
        #expect(try encoder.encode([[String]]()) == [])
        #expect(try encoder.encode(JSON.object(["k": 1])) == ["k": 1])
        #expect(try encoder.encode(Role.member) == "member")
        #expect(try encoder.encode(Float(0.1)).text == "0.1")
        #expect(try encoder.encode([Float(1.5), 3]).text == "[1.5,3]")
        #expect(try encoder.encode(UInt8(200)) == 200)
    }

    @Test func valuesThatEncodeNothing() throws {
        let error = try #require(encodingError { _ = try encoder.encode(EncodesNothing()) })
        #expect(context(error)?.codingPath.isEmpty == true)
        #expect(try encoder.encodeString(HoldsNothing()) == #"{"inner":{}}"#)
    }

    @Test func nonFiniteNumbersAreRejectedWithPath() throws {
        let nanPoint = Point(x: 0, y: .nan)
        let error = try #require(encodingError { _ = try encoder.encode(nanPoint) })
        #expect(context(error)?.codingPath.map(\.stringValue) == ["y"])
        let infinite = try #require(encodingError { _ = try encoder.encode([1.0, -.infinity]) })
        #expect(context(infinite)?.codingPath.map(\.stringValue) == ["Index 1"])
        let float = try #require(encodingError { _ = try encoder.encode(["f": Float.infinity]) })
        #expect(context(float)?.codingPath.map(\.stringValue) == ["f"])
        _ = try #require(encodingError { _ = try encoder.encode(Double.nan) })
    }

    @Test func unsignedValuesAboveInt64() throws {
        #expect(try encoder.encode(UInt64(Int64.max)) == .int(.max))
        let power = try encoder.encode(UInt64(1) << 63)
        guard case .double(let double) = power else {
            Issue.record("expected .double, got \(power)")
            return
        }
        #expect(double == 9_223_372_036_854_775_808.0)
        let error = try #require(encodingError { _ = try encoder.encode(["big": UInt64.max]) })
        #expect(context(error)?.codingPath.map(\.stringValue) == ["big"])
        #expect(context(error)?.debugDescription.contains("18446744073709551615") == false)
    }

    @Test func userInfoReachesEncodables() throws {
        #expect(try JSONValueEncoder(userInfo: [encoderInfoKey: "test"]).encode(WritesUserInfo()) == "test")
        #expect(try encoder.encode(WritesUserInfo()) == "none")
    }

    @Test func jsonEncodesThroughOtherEncoders() throws {
        let values: [JSON] = [
            nil, false, -3, 0.5, "text", [1, "a", [nil]],
            ["z": 1, "a": ["nested": [true, 1.5]], "m": "x"],
            .object(JSONObject([("dup", 1), ("other", 2), ("dup", 3)])),
        ]
        for value in values {
            let encoded = try encoder.encode(EncodedThroughForeignEncoder(value: value))
            #expect(encoded == value)
            #expect(encoded.objectValue?.keys.count == value.objectValue.map { Set($0.keys).count })
        }
        // The shadowed member is dropped; the effective one keeps its place.
        let dedup = try encoder.encode(EncodedThroughForeignEncoder(value: .object(JSONObject([("a", 1), ("b", 2), ("a", 3)]))))
        #expect(dedup.objectValue?.keys == ["b", "a"])
        #expect(dedup["a"] == 3)
    }
}
