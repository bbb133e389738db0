import Testing
import WardenJSON

@Suite("Base64")
struct Base64Tests {
    /// RFC 4648 §10 test vectors.
    static let vectors: [(String, String)] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ]

    @Test func encodesRFC4648Vectors() {
        for (plain, encoded) in Self.vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.encode(plain.utf8) == encoded)
        }
    }

    @Test func decodesRFC4648Vectors() {
        for (plain, encoded) in Self.vectors {
            #expect(Base64.decode(encoded) == Array(plain.utf8), "\(encoded)")
            #expect(Base64.decode(Array(encoded.utf8)) == Array(plain.utf8), "\(encoded)")
        }
    }

    @Test func usesTheStandardAlphabet() {
        #expect(Base64.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
        #expect(Base64.decode("+/+/") == [0xFB, 0xFF, 0xBF])
        #expect(Base64.encode([0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8B]) == "ABCDEFGHIJKL")
        #expect(Base64.decode("-_-_") == nil)  // URL-safe alphabet is not accepted
    }

    @Test func toleratesAbsentPadding() {
        #expect(Base64.decode("Zg") == Array("f".utf8))
        #expect(Base64.decode("Zm8") == Array("fo".utf8))
        #expect(Base64.decode("Zm9vYg") == Array("foob".utf8))
        #expect(Base64.decode("Zm9vYmE") == Array("fooba".utf8))
    }

    @Test func rejectsInvalidInput() {
        let invalid = [
            "Z",  // one leftover character can't encode a byte
            "Zm9vY",
            "Zg=",  // partial padding
            "Zg===",
            "Zm8==",
            "Zm9v=",
            "====",
            "=",
            "Zg==Zg==",  // padding in the middle
            "Z===",
            "Zm=v",
            "Zh==",  // non-canonical: unused bits set
            "Zm9=",
            "Zm9vYh==",
            "Zm 9v",  // whitespace
            "Zm9v\n",
            "Zm9v!",
            "Zm9vÄ",
            "Zm\u{0}v",
        ]
        for text in invalid {
            #expect(Base64.decode(text) == nil, "\(text)")
        }
        #expect(Base64.decode([0x5A, 0x67, 0xFF, 0x3D]) == nil)
    }

    @Test func roundTripsAllByteValuesAndLengths() {
        let all = (0...255).map { UInt8($0) }
        #expect(Base64.decode(Base64.encode(all)) == all)
        var generator = SplitMix64(seed: 99)
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let encoded = Base64.encode(bytes)
            #expect(encoded.utf8.count == (length + 2) / 3 * 4)
            #expect(Base64.decode(encoded) == bytes)
            // Without padding as well.
            let unpadded = String(encoded.prefix { $0 != "=" })
            #expect(Base64.decode(unpadded) == bytes)
        }
    }

    @Test func acceptsNonContiguousInput() {
        let encoded = Array("Zm9vYmFy".utf8)
        #expect(Base64.decode(encoded.lazy.map { $0 }) == Array("foobar".utf8))
        #expect(Base64.encode(Array("foobar".utf8).lazy.map { $0 }) == "Zm9vYmFy")
        #expect(Base64.decode(encoded[2...]) == nil)  // "9vYmFy": its last character has unused bits set
        #expect(Base64.decode(encoded[4...]) == Base64.decode("YmFy"))
    }
}
