import Bytes
import Testing

@Suite("Hex")
struct HexTests {
    @Test func encodesLowerCase() {
        #expect(Hex.encode([UInt8]()) == "")
        #expect(Hex.encode([0x00, 0x01, 0x7F, 0x80, 0xAB, 0xFF]) == "00017f80abff")
        #expect(Hex.encode((0...255).map { UInt8($0) }).utf8.count == 512)
        #expect(Hex.encode([0xDE, 0xAD].lazy.map { $0 }) == "dead")
        #expect(Hex.encode("Az".utf8) == "417a")
    }

    @Test func decodesEitherCase() {
        #expect(Hex.decode("".utf8) == [])
        #expect(Hex.decode("00017f80abff".utf8) == [0x00, 0x01, 0x7F, 0x80, 0xAB, 0xFF])
        #expect(Hex.decode("00017F80ABFF".utf8) == [0x00, 0x01, 0x7F, 0x80, 0xAB, 0xFF])
        #expect(Hex.decode("aBcD".utf8.lazy.map { $0 }) == [0xAB, 0xCD])
        let all = (0...255).map { UInt8($0) }
        #expect(Hex.decode(Hex.encode(all).utf8) == all)
        #expect(Hex.decode(Hex.encode(all).uppercased().utf8) == all)
    }

    /// What `UInt8(_:radix:)` took per pair and no hex digit is: a sign; and what is not hex at all.
    @Test(arguments: ["0", "abc", "+a", "-0", "0x", "0g", "g0", " 0", "0 ", "ab\n", "é0", "０0"])
    func refusesAnythingElse(_ text: String) {
        #expect(Hex.decode(text.utf8) == nil)
    }

    @Test func digitValues() {
        for byte in UInt8.min...UInt8.max {
            let expected: UInt8? =
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
                default: nil
                }
            #expect(Hex.value(ofDigit: byte) == expected, "\(byte)")
        }
        for nibble in UInt8(0)..<16 {
            #expect(Hex.lowercaseDigit(nibble) == Array("0123456789abcdef".utf8)[Int(nibble)])
            #expect(Hex.uppercaseDigit(nibble) == Array("0123456789ABCDEF".utf8)[Int(nibble)])
            #expect(Hex.lowercaseDigit(nibble | 0xF0) == Hex.lowercaseDigit(nibble))  // only the low 4 bits count
        }
    }
}
