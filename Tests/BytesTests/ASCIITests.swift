import Bytes
import Testing

@Suite("ASCII byte classes")
struct ASCIITests {
    @Test func controlCharactersAreC0AndDEL() {
        for byte in UInt8.min...UInt8.max {
            #expect(byte.isASCIIControl == (byte < 0x20 || byte == 0x7F), "\(byte)")
        }
        #expect(!UInt8(ascii: " ").isASCIIControl)
        #expect(UInt8(ascii: "\t").isASCIIControl)
        // U+0085 (NEL) is a C1 control but its UTF-8 bytes are not ASCII controls.
        #expect(!"\u{85}".utf8.contains { $0.isASCIIControl })
    }

    @Test func graphicCharactersAreVisibleASCII() {
        for byte in UInt8.min...UInt8.max {
            #expect(byte.isASCIIGraphic == (byte > 0x20 && byte < 0x7F), "\(byte)")
        }
        #expect(UInt8(ascii: "!").isASCIIGraphic && UInt8(ascii: "~").isASCIIGraphic)
        #expect(!UInt8(ascii: " ").isASCIIGraphic)
    }
}
