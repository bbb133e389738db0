import Auth
import Testing

@Suite("Base64URL")
struct Base64URLTests {
    /// RFC 4648 §10 vectors without padding, plus the two characters that differ from standard Base64.
    static let vectors: [([UInt8], String)] = [
        ([], ""), (Array("f".utf8), "Zg"), (Array("fo".utf8), "Zm8"), (Array("foo".utf8), "Zm9v"),
        (Array("foob".utf8), "Zm9vYg"), (Array("fooba".utf8), "Zm9vYmE"), (Array("foobar".utf8), "Zm9vYmFy"),
        ([0xFB, 0xFF], "-_8"), ([0xFF, 0xFF, 0xBE], "__--"),
    ]

    @Test func encodesAndDecodesVectors() {
        for (bytes, text) in Self.vectors {
            #expect(Base64URL.encode(bytes) == text)
            #expect(Base64URL.decode(text) == bytes, "\(text)")
        }
    }

    @Test(arguments: ["Zg==", "Zm8=", "+_8", "-/8", "Zm 9v", "Zm9v\n", "Z", "Zm9vY", "Zh", "Zm9", "Zm*v", "é"])
    func refusesPaddingStandardAlphabetAndNonCanonicalInput(_ text: String) {
        // "Zh" and "Zm9" carry non-zero unused bits ("Zg" and "Zm8" are the canonical forms).
        #expect(Base64URL.decode(text) == nil)
    }
}
