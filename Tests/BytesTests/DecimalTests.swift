import Bytes
import Testing

@Suite struct DecimalTests {
    @Test func digitsReadAsTheDescription() {
        for value: Int64 in [0, 1, -1, 9, 10, -10, 99, 100, 12_345, 1_000_000_007, .max, .min] {
            var bytes: [UInt8] = []
            bytes.appendDecimal(value)
            #expect(String(decoding: bytes, as: UTF8.self) == String(value))
        }
        for value: UInt64 in [0, 7, 10, 1 << 63, .max] {
            var bytes: [UInt8] = [0x3C]
            bytes.appendDecimal(value)
            #expect(String(decoding: bytes, as: UTF8.self) == "<" + String(value))
        }
    }

    @Test func paddingCountsDigitsAfterTheSign() {
        func text(_ value: Int64, _ width: Int) -> String {
            var bytes: [UInt8] = []
            bytes.appendDecimal(value, minimumDigits: width)
            return String(decoding: bytes, as: UTF8.self)
        }
        #expect(text(7, 3) == "007")
        #expect(text(-7, 4) == "-0007")
        #expect(text(1234, 2) == "1234")
        #expect(text(0, 0) == "0")
    }
}
