/// Standard Base64 (RFC 4648 §4: `A–Z a–z 0–9 + /`, `=` padding).
public enum Base64: Sendable {
    /// Encodes bytes with padding.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let count = bytes.count
        let outputCount = (count + 2) / 3 * 4
        guard outputCount > 0 else { return "" }
        return String(unsafeUninitializedCapacity: outputCount) { output in
            alphabet.withUTF8Buffer { alphabet in
                var written = 0
                var iterator = bytes.makeIterator()
                while let first = iterator.next() {
                    let second = iterator.next()
                    let third = iterator.next()
                    let group = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
                    output[written] = alphabet[Int(group >> 18 & 0x3F)]
                    output[written + 1] = alphabet[Int(group >> 12 & 0x3F)]
                    output[written + 2] = second == nil ? pad : alphabet[Int(group >> 6 & 0x3F)]
                    output[written + 3] = third == nil ? pad : alphabet[Int(group & 0x3F)]
                    written += 4
                }
                return written
            }
        }
    }

    /// Decodes strict Base64: only alphabet characters, `=` padding only at the end and only as much as the length
    /// requires, unused bits of the last character zero (canonical encoding), no whitespace. Absent padding is
    /// tolerated (`"QQ"` decodes like `"QQ=="`). Returns `nil` for any other input.
    public static func decode(_ encoded: some Collection<UInt8>) -> [UInt8]? {
        if let result = encoded.withContiguousStorageIfAvailable({ decode(buffer: $0) }) {
            return result
        }
        return Array(encoded).withUnsafeBufferPointer { decode(buffer: $0) }
    }

    /// Decodes a Base64 string (see `decode(_:)` for the rules).
    public static func decode(_ encoded: String) -> [UInt8]? {
        decode(encoded.utf8)
    }

    private static let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    private static let pad = UInt8(ascii: "=")

    /// The 6-bit value of an alphabet character, or `nil`.
    private static func sextet(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt32(byte - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt32(byte - UInt8(ascii: "a") + 26)
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0") + 52)
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }

    private static func decode(buffer: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        // Strip padding only from a length that is a multiple of 4; any other `=` fails the alphabet check below.
        var length = buffer.count
        if length % 4 == 0, length > 0, buffer[length - 1] == pad {
            length -= 1
            if buffer[length - 1] == pad {
                length -= 1
            }
        }
        let remainder = length % 4
        guard remainder != 1 else { return nil }

        var output: [UInt8] = []
        output.reserveCapacity(length / 4 * 3 + 2)
        var index = 0
        while index + 4 <= length {
            guard let a = sextet(buffer[index]), let b = sextet(buffer[index + 1]),
                let c = sextet(buffer[index + 2]), let d = sextet(buffer[index + 3])
            else { return nil }
            let group = a << 18 | b << 12 | c << 6 | d
            output.append(UInt8(truncatingIfNeeded: group >> 16))
            output.append(UInt8(truncatingIfNeeded: group >> 8))
            output.append(UInt8(truncatingIfNeeded: group))
            index += 4
        }
        switch remainder {
        case 2:
            guard let a = sextet(buffer[index]), let b = sextet(buffer[index + 1]), b & 0x0F == 0 else { return nil }
            output.append(UInt8(truncatingIfNeeded: a << 2 | b >> 4))
        case 3:
            guard let a = sextet(buffer[index]), let b = sextet(buffer[index + 1]), let c = sextet(buffer[index + 2]),
                c & 0x03 == 0
            else { return nil }
            let group = a << 18 | b << 12 | c << 6
            output.append(UInt8(truncatingIfNeeded: group >> 16))
            output.append(UInt8(truncatingIfNeeded: group >> 8))
        default:
            break
        }
        return output
    }
}
