import TestSupport
import Testing
import WardenJSON

/// The writer's one-pass escaping gives the bytes the byte-by-byte writer it replaced gave (written out below).
@Suite("JSON writer escaping") struct JSONWriterEscapingTests {
    /// The previous writer's escaping of one string, byte by byte.
    static func reference(_ string: String) -> [UInt8] {
        var out: [UInt8] = [0x22]
        for byte in string.utf8 {
            switch byte {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x08: out += [0x5C, UInt8(ascii: "b")]
            case 0x0C: out += [0x5C, UInt8(ascii: "f")]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20: out += Array("\\u00".utf8) + Array(String(byte, radix: 16).count == 1 ? "0\(String(byte, radix: 16))".utf8 : String(byte, radix: 16).utf8)
            default: out.append(byte)
            }
        }
        return out + [0x22]
    }

    /// Strings of every length up to 40 around the word size, with the byte to escape (or a non-ASCII character) at
    /// every position, plus random ones.
    static let strings: [String] = {
        var strings = ["", "a", "plain ASCII text", "caf\u{E9}", "\u{1F600}\u{1F600}", "\u{7F}\u{80}", "/slash/"]
        for special in ["\"", "\\", "\n", "\t", "\u{0}", "\u{1F}", "\u{8}", "\u{C}", "\r", "\u{E9}", "\u{20AC}", "\u{10FFFF}"] {
            for length in [1, 7, 8, 9, 15, 16, 17, 23, 24, 40] {
                for position in 0..<length {
                    var characters = Array(repeating: Character("x"), count: length)
                    characters[position] = Character(special)
                    strings.append(String(characters))
                }
            }
        }
        var random = SplitMix64(seed: 11)
        for _ in 0..<500 {
            let length = Int(random.next() % 50)
            let scalars = (0..<length).map { _ -> Character in
                switch random.next() % 4 {
                case 0: Character(Unicode.Scalar(UInt8(random.next() % 0x20)))
                case 1: Character(Unicode.Scalar(UInt32(0xA0 + random.next() % 0x2000)) ?? "?")
                default: Character(Unicode.Scalar(UInt8(0x20 + random.next() % 0x5F)))
                }
            }
            strings.append(String(scalars))
        }
        return strings
    }()

    @Test func stringsAndKeysAreEscapedAsBefore() {
        for string in Self.strings {
            var writer = JSONWriter()
            writer.string(string)
            #expect(writer.bytes == Self.reference(string), "\(Array(string.utf8))")
            var object = JSONWriter()
            object.beginObject()
            object.key(string)
            object.int(1)
            object.member(string, string: string)
            object.endObject()
            let expected = [0x7B] + Self.reference(string) + Array(":1,".utf8) + Self.reference(string) + [0x3A] + Self.reference(string) + [0x7D]
            #expect(object.bytes == expected)
            var bytes = JSONWriter()
            bytes.string(utf8: Array(string.utf8))
            #expect(bytes.bytes == Self.reference(string))
        }
    }

    @Test func illFormedUTF8IsWrittenAsStringDecodingRepairsIt() {
        let illFormed: [[UInt8]] = [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0x80], [0xF4, 0x90, 0x80, 0x80]]
        for bad in illFormed {
            for prefix in [[], Array("a\"b".utf8), Array("twelve bytes".utf8)] {
                let input = prefix + bad + Array("tail\n".utf8)
                var writer = JSONWriter()
                writer.beginArray()
                writer.int(0)
                writer.string(utf8: input)
                writer.endArray()
                #expect(writer.bytes == Array("[0,".utf8) + Self.reference(String(decoding: input, as: UTF8.self)) + [0x5D], "\(input)")
            }
        }
    }

    @Test func numbersAndLiteralsAsBefore() {
        var writer = JSONWriter()
        writer.beginArray()
        for value: Int64 in [0, 7, -7, 10, 99, 100, -100, 1_000_000_007, .max, .min] { writer.int(value) }
        writer.uint(.max)
        writer.bool(true)
        writer.bool(false)
        writer.null()
        writer.endArray()
        #expect(
            writer.text == "[0,7,-7,10,99,100,-100,1000000007,9223372036854775807,-9223372036854775808,18446744073709551615,true,false,null]")
    }
}
