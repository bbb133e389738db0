/// Hexadecimal text: lower-case encoding, decoding of either case.
public enum Hex {
    /// Lower-case hexadecimal text of `bytes`, two digits per byte.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        if let encoded = bytes.withContiguousStorageIfAvailable({ encode(buffer: $0) }) {
            return encoded
        }
        return Array(bytes).withUnsafeBufferPointer { encode(buffer: $0) }
    }

    /// The bytes of `text`: an even number of hexadecimal digits, either case, nothing else (no sign, prefix or
    /// whitespace); `nil` otherwise. Empty text is zero bytes.
    public static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        if let decoded = text.withContiguousStorageIfAvailable({ decode(buffer: $0) }) {
            return decoded
        }
        return Array(text).withUnsafeBufferPointer { decode(buffer: $0) }
    }

    /// The value of the hexadecimal digit `byte` (`0–9`, `a–f`, `A–F`), or `nil`.
    @inlinable
    public static func value(ofDigit byte: UInt8) -> UInt8? {
        let decimal = byte &- UInt8(ascii: "0")
        if decimal < 10 { return decimal }
        let letter = (byte | 0x20) &- UInt8(ascii: "a")
        return letter < 6 ? letter + 10 : nil
    }

    /// The lower-case digit for the low 4 bits of `nibble`.
    @inlinable
    public static func lowercaseDigit(_ nibble: UInt8) -> UInt8 {
        let value = nibble & 0x0F
        return value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") - 10 + value
    }

    /// The upper-case digit for the low 4 bits of `nibble` (percent-encoding's `%XX`, RFC 3986 §2.1).
    @inlinable
    public static func uppercaseDigit(_ nibble: UInt8) -> UInt8 {
        let value = nibble & 0x0F
        return value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") - 10 + value
    }

    private static let digits: StaticString = "0123456789abcdef"

    private static func encode(buffer: UnsafeBufferPointer<UInt8>) -> String {
        guard !buffer.isEmpty else { return "" }
        return String(unsafeUninitializedCapacity: buffer.count * 2) { output in
            digits.withUTF8Buffer { digits in
                var written = 0
                for byte in buffer {
                    output[written] = digits[Int(byte >> 4)]
                    output[written + 1] = digits[Int(byte & 0x0F)]
                    written += 2
                }
                return written
            }
        }
    }

    private static func decode(buffer: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard buffer.count % 2 == 0 else { return nil }
        var valid = true
        let output = [UInt8](unsafeUninitializedCapacity: buffer.count / 2) { output, initialized in
            var read = 0
            while read < buffer.count {
                guard let high = value(ofDigit: buffer[read]), let low = value(ofDigit: buffer[read + 1]) else {
                    valid = false
                    break
                }
                output[read / 2] = high << 4 | low
                read += 2
            }
            initialized = valid ? buffer.count / 2 : 0
        }
        return valid ? output : nil
    }
}
