import Bytes
import Testing

/// ASCII case-insensitive equality, as header and field names are compared: letters only, byte for byte.
@Suite struct ASCIICaseTests {
    @Test(arguments: [
        ("Content-Type", "content-type", true), ("LAMBDA-RUNTIME-AWS-REQUEST-ID", "Lambda-Runtime-Aws-Request-Id", true),
        ("x-signature", "x-signaturE", true), ("", "", true),
        ("x-signature", "x-signatur", false), ("x-client", "x-clienu", false), ("[", "{", false), ("@", "`", false),
        ("É", "é", false), ("straße", "STRASSE", false),
    ])
    func comparesOnlyASCIILettersWithoutCase(_ a: String, _ b: String, _ equal: Bool) {
        #expect(a.equalsIgnoringASCIICase(b) == equal)
        #expect(b.equalsIgnoringASCIICase(a) == equal)
        // Bytes against a string: contiguous (an array slice) and not (a lazy view).
        #expect(Array(a.utf8)[...].equalsIgnoringASCIICase(b) == equal)
        #expect(a.utf8.lazy.map { $0 }.equalsIgnoringASCIICase(b) == equal)
    }

    @Test func lowercasesOnlyASCIILetters() {
        #expect(Array("AZaz09[@`{ÉÀ".utf8).map(\.asciiLowercased) == Array("azaz09[@`{ÉÀ".utf8))
    }
}
