import Bytes
import TestSupport
import Testing

/// The gateway's reading of a proxy response body and the emulator's of base64 it is handed: padding required,
/// unused bits ignored.
private let paddedLenient = Base64(alphabet: .standard, padding: .required, unusedBits: .ignored)

@Suite("Base64.standard")
struct Base64StandardTests {
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
            #expect(Base64.standard.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.standard.encode(plain.utf8) == encoded)
        }
    }

    @Test func decodesRFC4648Vectors() {
        for (plain, encoded) in Self.vectors {
            #expect(Base64.standard.decode(encoded) == Array(plain.utf8), "\(encoded)")
            #expect(Base64.standard.decode(Array(encoded.utf8)) == Array(plain.utf8), "\(encoded)")
        }
    }

    @Test func usesTheStandardAlphabet() {
        #expect(Base64.standard.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
        #expect(Base64.standard.decode("+/+/") == [0xFB, 0xFF, 0xBF])
        #expect(Base64.standard.encode([0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8B]) == "ABCDEFGHIJKL")
        #expect(Base64.standard.decode("-_-_") == nil)  // URL-safe alphabet is not accepted
    }

    @Test func toleratesAbsentPadding() {
        #expect(Base64.standard.decode("Zg") == Array("f".utf8))
        #expect(Base64.standard.decode("Zm8") == Array("fo".utf8))
        #expect(Base64.standard.decode("Zm9vYg") == Array("foob".utf8))
        #expect(Base64.standard.decode("Zm9vYmE") == Array("fooba".utf8))
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
            "Zh",
            "Zm9=",
            "Zm9",
            "Zm9vYh==",
            "Zm 9v",  // whitespace
            "Zm9v\n",
            "Zm9v\r\nZm9v",
            " Zm9v",
            "Zm9v!",
            "Zm9vÄ",
            "Zm\u{0}v",
        ]
        for text in invalid {
            #expect(Base64.standard.decode(text) == nil, "\(text)")
        }
        #expect(Base64.standard.decode([0x5A, 0x67, 0xFF, 0x3D]) == nil)
        // Every byte outside the alphabet, in each position of a full group and of a last partial one.
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for byte in UInt8.min...UInt8.max where !alphabet.contains(byte) {
            for position in 0..<4 {
                var group = Array("QUJD".utf8)
                group[position] = byte
                #expect(Base64.standard.decode(group) == nil, "\(byte) at \(position)")
                if position < 3 {
                    #expect(Base64.standard.decode(Array("QUJD".utf8) + group.prefix(3)) == nil, "\(byte) at \(position)")
                }
            }
        }
    }

    @Test func roundTripsAllByteValuesAndLengths() {
        let all = (0...255).map { UInt8($0) }
        #expect(Base64.standard.decode(Base64.standard.encode(all)) == all)
        var generator = SplitMix64(seed: 99)
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let encoded = Base64.standard.encode(bytes)
            #expect(encoded.utf8.count == (length + 2) / 3 * 4)
            #expect(Base64.standard.decode(encoded) == bytes)
            // Without padding as well.
            let unpadded = String(encoded.prefix { $0 != "=" })
            #expect(Base64.standard.decode(unpadded) == bytes)
        }
    }

    @Test func acceptsNonContiguousInput() {
        let encoded = Array("Zm9vYmFy".utf8)
        #expect(Base64.standard.decode(encoded.lazy.map { $0 }) == Array("foobar".utf8))
        #expect(Base64.standard.encode(Array("foobar".utf8).lazy.map { $0 }) == "Zm9vYmFy")
        #expect(Base64.standard.decode(encoded[2...]) == nil)  // "9vYmFy": its last character has unused bits set
        #expect(Base64.standard.decode(encoded[4...]) == Base64.standard.decode("YmFy"))
        #expect(Base64.standard.decode("xxZm9v".utf8.dropFirst(2)) == Array("foo".utf8))
    }
}

@Suite("Base64.urlUnpadded")
struct Base64URLUnpaddedTests {
    /// RFC 4648 §10 vectors without padding, plus the two characters that differ from standard Base64.
    static let vectors: [([UInt8], String)] = [
        ([], ""), (Array("f".utf8), "Zg"), (Array("fo".utf8), "Zm8"), (Array("foo".utf8), "Zm9v"),
        (Array("foob".utf8), "Zm9vYg"), (Array("fooba".utf8), "Zm9vYmE"), (Array("foobar".utf8), "Zm9vYmFy"),
        ([0xFB, 0xFF], "-_8"), ([0xFF, 0xFF, 0xBE], "__--"),
    ]

    @Test func encodesAndDecodesVectors() {
        for (bytes, text) in Self.vectors {
            #expect(Base64.urlUnpadded.encode(bytes) == text)
            #expect(Base64.urlUnpadded.decode(text) == bytes, "\(text)")
        }
    }

    @Test(arguments: [
        "Zg==", "Zm8=", "Zg=", "=", "Zm9v====", "+_8", "-/8", "Zm 9v", "Zm9v\n", "Z", "Zm9vY", "Zh", "Zm9", "Zm*v", "é",
    ])
    func refusesPaddingStandardAlphabetAndNonCanonicalInput(_ text: String) {
        // "Zh" and "Zm9" carry non-zero unused bits ("Zg" and "Zm8" are the canonical forms).
        #expect(Base64.urlUnpadded.decode(text) == nil)
    }

    @Test func refusesEveryByteOutsideTheAlphabet() {
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        for byte in UInt8.min...UInt8.max where !alphabet.contains(byte) {
            for position in 0..<4 {
                var group = Array("QUJD".utf8)
                group[position] = byte
                #expect(Base64.urlUnpadded.decode(group) == nil, "\(byte) at \(position)")
            }
        }
    }

    @Test func everyByteStringHasOneAcceptedEncoding() {
        var generator = SplitMix64(seed: 7)
        for length in 0..<40 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let text = Base64.urlUnpadded.encode(bytes)
            #expect(!text.utf8.contains(UInt8(ascii: "=")))
            #expect(text.utf8.count == (length * 4 + 2) / 3)
            #expect(Base64.urlUnpadded.decode(text) == bytes)
            // Changing the unused bits of the last character is refused.
            if length % 3 != 0, let last = text.utf8.last {
                let values = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
                let value = values.firstIndex(of: last) ?? 0
                let changed = values[value | 1]
                if changed != last {
                    #expect(Base64.urlUnpadded.decode(Array(text.utf8.dropLast()) + [changed]) == nil)
                }
            }
        }
    }
}

@Suite("Base64, padding required and unused bits ignored")
struct Base64PaddedLenientTests {
    @Test func decodesPaddedText() {
        for (plain, encoded) in Base64StandardTests.vectors {
            #expect(paddedLenient.decode(encoded) == Array(plain.utf8), "\(encoded)")
            #expect(paddedLenient.encode(Array(plain.utf8)) == encoded)
        }
    }

    @Test func ignoresUnusedBits() {
        #expect(paddedLenient.decode("QR==") == Array("A".utf8))
        #expect(paddedLenient.decode("Zh==") == Array("f".utf8))
        #expect(paddedLenient.decode("Zm9=") == Array("fo".utf8))
        #expect(paddedLenient.decode("Zm9vYh==") == Array("foob".utf8))
        #expect(paddedLenient.decode("Zm//") == [0x66, 0x6F, 0xFF])
    }

    @Test func refusesBytesOutsideTheAlphabetInTheLastGroup() {
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for byte in UInt8.min...UInt8.max where !alphabet.contains(byte) && byte != UInt8(ascii: "=") {
            #expect(paddedLenient.decode([UInt8(ascii: "Q"), byte, 0x3D, 0x3D]) == nil, "\(byte)")
            #expect(paddedLenient.decode([UInt8(ascii: "Q"), UInt8(ascii: "U"), byte, 0x3D]) == nil, "\(byte)")
            #expect(paddedLenient.decode([byte, UInt8(ascii: "Q"), 0x3D, 0x3D]) == nil, "\(byte)")
        }
    }

    @Test(arguments: [
        "Zg", "Zm8", "Zm9vYg", "Z", "Zg=", "Zg===", "Zm8==", "====", "A===", "=", "Zg==Zg==", "Zm=v", "Zm 9v",
        "Zm9v\n", " Zm9v", "-_-_", "Zm9v!", "Zm9vÄ",
    ])
    func refusesUnpaddedAndMalformedText(_ text: String) {
        #expect(paddedLenient.decode(text) == nil)
    }
}
