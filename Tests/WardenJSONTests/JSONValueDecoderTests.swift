import Testing
import WardenJSON

// MARK: - Models shared with the encoder tests

enum Role: String, Codable, Equatable {
    case admin, member
}

struct Address: Codable, Equatable {
    var street: String
    var zip: String?
    var tags: [String]
}

struct Profile: Codable, Equatable {
    var id: Int64
    var name: String
    var email: String?
    var nickname: String?
    var age: UInt8
    var score: Double
    var ratio: Float
    var active: Bool
    var role: Role
    var addresses: [Address]
    var primary: Address?
    var metadata: [String: String]
    var counters: [String: Int]?
    var matrix: [[Int]]
    var extra: JSON
    var small: Int8
    var medium: Int16
    var large: Int32
    var platform: Int
    var unsigned: UInt
    var u8: UInt8
    var u16: UInt16
    var u32: UInt32
    var u64: UInt64

    static let example = Profile(
        id: 9_007_199_254_740_993,
        name: "Ada \"Countess\" Lovelace\n😀",
        email: "ada@example.com",
        nickname: nil,
        age: 36,
        score: 0.1,
        ratio: 0.25,
        active: true,
        role: .admin,
        addresses: [
            Address(street: "1 Main St", zip: "12345", tags: ["home", "primary"]),
            Address(street: "2 Side St", zip: nil, tags: []),
        ],
        primary: Address(street: "1 Main St", zip: "12345", tags: []),
        metadata: ["team": "engines", "floor": "3"],
        counters: ["a": 1, "b": -2],
        matrix: [[1, 2], [], [3]],
        extra: ["free": ["form", 1, nil, ["x": 1.5]]],
        small: -128,
        medium: 32767,
        large: -2_147_483_648,
        platform: .min,
        unsigned: 42,
        u8: 255,
        u16: 65535,
        u32: 4_294_967_295,
        u64: 9_223_372_036_854_775_807
    )
}

/// A decoder that hides `JSONValueDecoder`'s implementation type, to exercise `JSON`'s generic decoding path.
struct ForwardingDecoder: Decoder {
    let base: any Decoder
    var codingPath: [any CodingKey] { base.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { base.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        try base.container(keyedBy: type)
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try base.unkeyedContainer()
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        try base.singleValueContainer()
    }
}

struct DecodedThroughForeignDecoder: Decodable {
    let value: JSON

    init(from decoder: any Decoder) throws {
        value = try JSON(from: ForwardingDecoder(base: decoder))
    }
}

class Animal: Codable {
    var legs: Int

    init(legs: Int) {
        self.legs = legs
    }
}

final class Dog: Animal {
    var name: String

    private enum CodingKeys: String, CodingKey {
        case name
    }

    init(legs: Int, name: String) {
        self.name = name
        super.init(legs: legs)
    }

    required init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        try super.init(from: container.superDecoder())
    }

    override func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try super.encode(to: container.superEncoder())
    }
}

/// Decodes `[1, [2, 3], {"k": 4}]` through the unkeyed container API.
struct MixedTuple: Decodable, Equatable {
    var first: Int
    var pair: [Int]
    var keyed: Int
    var count: Int?

    private enum InnerKeys: String, CodingKey {
        case k
    }

    init(first: Int, pair: [Int], keyed: Int, count: Int?) {
        self.first = first
        self.pair = pair
        self.keyed = keyed
        self.count = count
    }

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        count = container.count
        first = try container.decode(Int.self)
        var inner = try container.nestedUnkeyedContainer()
        pair = [try inner.decode(Int.self), try inner.decode(Int.self)]
        let object = try container.nestedContainer(keyedBy: InnerKeys.self)
        keyed = try object.decode(Int.self, forKey: .k)
        if !container.isAtEnd {
            throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath, debugDescription: "extra elements"))
        }
    }
}

struct NeedsFourElements: Decodable {
    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        for _ in 0..<4 {
            _ = try container.decode(Int.self)
        }
    }
}

private let userInfoKey = CodingUserInfoKey(rawValue: "tenant")!

struct ReadsUserInfo: Decodable {
    var tenant: String?

    init(from decoder: any Decoder) throws {
        tenant = decoder.userInfo[userInfoKey] as? String
    }
}

/// Extracts the error's coding path as strings.
func pathStrings(_ error: DecodingError) -> [String] {
    switch error {
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
        .dataCorrupted(let context):
        return context.codingPath.map(\.stringValue)
    @unknown default:
        return []
    }
}

func debugDescription(_ error: DecodingError) -> String {
    switch error {
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
        .dataCorrupted(let context):
        return context.debugDescription
    @unknown default:
        return ""
    }
}

// MARK: - Tests

@Suite("JSONValueDecoder")
struct JSONValueDecoderTests {
    let decoder = JSONValueDecoder()

    let profileText = """
        {"id":9007199254740993,"name":"Ada \\"Countess\\" Lovelace\\n\\ud83d\\ude00","email":"ada@example.com",
         "nickname":null,"age":36,"score":0.1,"ratio":0.25,"active":true,"role":"admin",
         "addresses":[{"street":"1 Main St","zip":"12345","tags":["home","primary"]},{"street":"2 Side St","tags":[]}],
         "primary":{"street":"1 Main St","zip":"12345","tags":[]},
         "metadata":{"team":"engines","floor":"3"},"counters":{"a":1,"b":-2},"matrix":[[1,2],[],[3]],
         "extra":{"free":["form",1,null,{"x":1.5}]},"small":-128,"medium":32767,"large":-2147483648,
         "platform":-9223372036854775808,"unsigned":42,"u8":255,"u16":65535,"u32":4294967295,
         "u64":9223372036854775807}
        """

    /// The error `body` throws, which must be a `DecodingError`.
    func decodingError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> DecodingError? {
        do {
            try body()
            Issue.record("expected a DecodingError", sourceLocation: sourceLocation)
        } catch let error as DecodingError {
            return error
        } catch {
            Issue.record("expected a DecodingError, got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    @Test func decodesNestedStructFromBytes() throws {
        let profile = try decoder.decode(Profile.self, from: Array(profileText.utf8))
        #expect(profile == Profile.example)
        #expect(profile.id == 9_007_199_254_740_993)  // beyond 2^53: exact
        #expect(profile.extra["free"]?[3]?["x"] == 1.5)
        let fromValue = try decoder.decode(Profile.self, from: try JSON.parse(profileText))
        #expect(fromValue == profile)
        let fromUTF8View: Profile = try decoder.decode(from: profileText.utf8)
        #expect(fromUTF8View == profile)
    }

    @Test func missingAndNullOptionalsAreNil() throws {
        let address = try decoder.decode(Address.self, from: Array(#"{"street":"s","tags":[]}"#.utf8))
        #expect(address.zip == nil)
        let withNull = try decoder.decode(Address.self, from: Array(#"{"street":"s","zip":null,"tags":[]}"#.utf8))
        #expect(withNull.zip == nil)
        let optionalTop = try decoder.decode(Int?.self, from: JSON.null)
        #expect(optionalTop == nil)
    }

    @Test func topLevelValues() throws {
        #expect(try decoder.decode(Int.self, from: 5) == 5)
        #expect(try decoder.decode(String.self, from: "s") == "s")
        #expect(try decoder.decode(Bool.self, from: true) == true)
        #expect(try decoder.decode(Double.self, from: 2) == 2.0)
        #expect(try decoder.decode([Int?].self, from: [1, nil, 3]) == [1, nil, 3])
        #expect(try decoder.decode([String: [Int]].self, from: ["a": [1], "b": []]) == ["a": [1], "b": []])
        #expect(try decoder.decode([Int: String].self, from: ["1": "one", "20": "twenty"]) == [1: "one", 20: "twenty"])
        #expect(try decoder.decode(JSON.self, from: ["k": [1, 2]]) == ["k": [1, 2]])
        #expect(try decoder.decode(Role.self, from: "member") == .member)
    }

    @Test func duplicateKeysLastWinsInDictionaries() throws {
        let json = try JSON.parse(#"{"a":1,"b":2,"a":3}"#)
        #expect(try decoder.decode([String: Int].self, from: json) == ["a": 3, "b": 2])
    }

    @Test func missingKeyReportsKeyAndPath() throws {
        let error = try #require(decodingError { _ = try decoder.decode(Address.self, from: ["street": "s"]) })
        guard case .keyNotFound(let key, let context) = error else {
            Issue.record("expected keyNotFound, got \(error)")
            return
        }
        #expect(key.stringValue == "tags")
        #expect(context.codingPath.isEmpty)

        let nested: JSON = ["addresses": [["street": "a", "tags": []], ["tags": []]]]
        struct Holder: Decodable { var addresses: [Address] }
        let nestedError = try #require(decodingError { _ = try decoder.decode(Holder.self, from: nested) })
        guard case .keyNotFound(let nestedKey, _) = nestedError else {
            Issue.record("expected keyNotFound, got \(nestedError)")
            return
        }
        #expect(nestedKey.stringValue == "street")
        #expect(pathStrings(nestedError) == ["addresses", "Index 1"])
    }

    @Test func typeMismatchReportsPath() throws {
        let wrongAge = try #require(decodingError { _ = try decoder.decode(Profile.self, from: profileWith("age", "old")) })
        guard case .typeMismatch(let type, _) = wrongAge else {
            Issue.record("expected typeMismatch, got \(wrongAge)")
            return
        }
        #expect(type is UInt8.Type)
        #expect(pathStrings(wrongAge) == ["age"])

        let deep: JSON = ["street": "s", "tags": ["ok", 7]]
        let tagError = try #require(decodingError { _ = try decoder.decode(Address.self, from: deep) })
        guard case .typeMismatch = tagError else {
            Issue.record("expected typeMismatch, got \(tagError)")
            return
        }
        #expect(pathStrings(tagError) == ["tags", "Index 1"])

        let notObject = try #require(decodingError { _ = try decoder.decode(Address.self, from: JSON.array([1])) })
        guard case .typeMismatch = notObject else {
            Issue.record("expected typeMismatch, got \(notObject)")
            return
        }
        let notArray = try #require(decodingError { _ = try decoder.decode([Int].self, from: ["a": 1]) })
        guard case .typeMismatch = notArray else {
            Issue.record("expected typeMismatch, got \(notArray)")
            return
        }
        let boolFromNumber = try #require(decodingError { _ = try decoder.decode(Bool.self, from: 1) })
        guard case .typeMismatch = boolFromNumber else {
            Issue.record("expected typeMismatch, got \(boolFromNumber)")
            return
        }
    }

    @Test func nullForNonOptionalIsValueNotFound() throws {
        let error = try #require(decodingError { _ = try decoder.decode(Profile.self, from: profileWith("name", nil)) })
        guard case .valueNotFound = error else {
            Issue.record("expected valueNotFound, got \(error)")
            return
        }
        #expect(pathStrings(error) == ["name"])
    }

    @Test func numbersMustFitTheTargetType() throws {
        for (key, value) in [("age", JSON.int(256)), ("small", -129), ("u64", -1), ("id", 1.5), ("u8", 1e300)] {
            let error = try #require(decodingError { _ = try decoder.decode(Profile.self, from: profileWith(key, value)) })
            guard case .dataCorrupted = error else {
                Issue.record("expected dataCorrupted for \(key), got \(error)")
                continue
            }
            #expect(pathStrings(error) == [key])
        }
        // Integral doubles convert exactly; Float rejects finite values beyond its range.
        #expect(try decoder.decode(Profile.self, from: profileWith("id", 2.0)).id == 2)
        #expect(try decoder.decode(Int8.self, from: -128.0) == -128)
        #expect(try decoder.decode(Float.self, from: 3) == 3)
        let floatError = try #require(decodingError { _ = try decoder.decode(Float.self, from: 1e300) })
        guard case .dataCorrupted = floatError else {
            Issue.record("expected dataCorrupted, got \(floatError)")
            return
        }
    }

    @Test func messagesDoNotEchoValues() throws {
        let secret = "SECRET-value-123"
        let errors = [
            decodingError { _ = try decoder.decode(Profile.self, from: profileWith("age", .string(secret))) },
            decodingError { _ = try decoder.decode(Int.self, from: .string(secret)) },
            decodingError { _ = try decoder.decode(UInt8.self, from: 123_456_789) },
        ]
        for error in errors {
            let error = try #require(error)
            #expect(!debugDescription(error).contains("SECRET"))
            #expect(!debugDescription(error).contains("123"))
            #expect(!debugDescription(error).isEmpty)
        }
    }

    @Test func invalidJSONIsDataCorruptedWithTheParseError() throws {
        let error = try #require(decodingError { _ = try decoder.decode(Address.self, from: Array(#"{"street":"s",}"#.utf8)) })
        guard case .dataCorrupted(let context) = error else {
            Issue.record("expected dataCorrupted, got \(error)")
            return
        }
        let underlying = try #require(context.underlyingError as? JSONError)
        #expect(underlying.code == .invalidSyntax)
        #expect(underlying.offset == 14)
    }

    @Test func parseOptionsApply() throws {
        let strict = JSONValueDecoder(parseOptions: JSONParseOptions(maxDepth: 1, rejectDuplicateKeys: true))
        let duplicate = try #require(decodingError { _ = try strict.decode([String: Int].self, from: Array(#"{"a":1,"a":2}"#.utf8)) })
        guard case .dataCorrupted(let context) = duplicate else {
            Issue.record("expected dataCorrupted, got \(duplicate)")
            return
        }
        #expect((context.underlyingError as? JSONError)?.code == .duplicateKey)
        let deep = try #require(decodingError { _ = try strict.decode([[Int]].self, from: Array("[[1]]".utf8)) })
        guard case .dataCorrupted(let deepContext) = deep else {
            Issue.record("expected dataCorrupted, got \(deep)")
            return
        }
        #expect((deepContext.underlyingError as? JSONError)?.code == .tooDeep)
    }

    @Test func unkeyedContainerAPI() throws {
        let tuple = try decoder.decode(MixedTuple.self, from: [1, [2, 3], ["k": 4]])
        #expect(tuple == MixedTuple(first: 1, pair: [2, 3], keyed: 4, count: 3))
        let error = try #require(decodingError { _ = try decoder.decode(NeedsFourElements.self, from: JSON.array([1, 2, 3])) })
        guard case .valueNotFound = error else {
            Issue.record("expected valueNotFound, got \(error)")
            return
        }
        #expect(pathStrings(error) == ["Index 3"])
    }

    @Test func superDecoderForClassInheritance() throws {
        let dog = try decoder.decode(Dog.self, from: ["name": "Rex", "super": ["legs": 4]])
        #expect(dog.name == "Rex")
        #expect(dog.legs == 4)
        #expect(pathStrings(try #require(decodingError { _ = try decoder.decode(Dog.self, from: ["name": "R", "super": [:]]) }))
            == ["super"])
        let error = try #require(decodingError { _ = try decoder.decode(Dog.self, from: ["name": "Rex"]) })
        guard case .valueNotFound = error else {
            Issue.record("missing super should decode as null and fail, got \(error)")
            return
        }
    }

    @Test func userInfoReachesDecodables() throws {
        let withInfo = JSONValueDecoder(userInfo: [userInfoKey: "acme"])
        #expect(try withInfo.decode(ReadsUserInfo.self, from: nil).tenant == "acme")
        #expect(try decoder.decode(ReadsUserInfo.self, from: nil).tenant == nil)
    }

    @Test func jsonDecodesThroughOtherDecoders() throws {
        let values: [JSON] = [
            nil, true, 42, 2.5, "text", [1, "a", [nil]],
            ["z": 1, "a": ["nested": [true, 1.5]], "m": "x"],
        ]
        for value in values {
            let decoded = try decoder.decode(DecodedThroughForeignDecoder.self, from: value).value
            #expect(decoded == value)
            #expect(decoded.objectValue?.keys == value.objectValue?.keys)
        }
        let object = try decoder.decode(JSONObject.self, from: ["b": 1, "a": 2])
        #expect(object.keys == ["b", "a"])
        let notObject = try #require(decodingError { _ = try decoder.decode(JSONObject.self, from: JSON.array([1])) })
        guard case .typeMismatch = notObject else {
            Issue.record("expected typeMismatch, got \(notObject)")
            return
        }
    }

    /// The example profile JSON with one member replaced. Throws rather than answering some other document when the
    /// example does not parse, so no test of a decoding error can pass on the wrong input.
    func profileWith(_ key: String, _ value: JSON) throws -> JSON {
        guard case .object(var object) = try JSON.parse(profileText) else { throw ProfileIsNotAnObject() }
        object[key] = value
        return .object(object)
    }

    struct ProfileIsNotAnObject: Error {}
}
