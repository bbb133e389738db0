/// Base64 (RFC 4648) in one of its variants: an alphabet, what is done with `=` padding, and what is done with the
/// unused low bits of a last partial group. Table-driven: one pass and one allocation per call.
///
/// The variants in use are ``standard``, ``urlUnpadded`` and, for what must read like API Gateway and Lambda do,
/// `Base64(alphabet: .standard, padding: .required, unusedBits: .ignored)`. No variant accepts whitespace or any
/// byte outside its alphabet (the other alphabet's two characters included), and `=` only at the end.
public struct Base64: Sendable, Hashable {
    /// The 64 characters for the values 0–63.
    public enum Alphabet: Sendable, Hashable {
        /// RFC 4648 §4: `A–Z a–z 0–9 + /`.
        case standard
        /// RFC 4648 §5, URL and file name safe: `A–Z a–z 0–9 - _`.
        case url
    }

    /// `=` padding: whether ``encode(_:)`` writes it and what ``decode(_:)`` accepts.
    public enum Padding: Sendable, Hashable {
        /// Encoding pads to a multiple of 4 characters; decoding requires exactly that (a length that is a multiple
        /// of 4, with one `=` after 3 characters of the last group and two after 2).
        case required
        /// Encoding pads; decoding accepts either exactly the padding the length needs or none at all (`Zg==` and
        /// `Zg`, never `Zg=`).
        case optional
        /// Encoding never pads; decoding refuses any `=`.
        case forbidden
    }

    /// The low bits of the last character of a partial group, which carry no byte (4 bits after 2 characters,
    /// 2 bits after 3).
    public enum UnusedBits: Sendable, Hashable {
        /// Decoding refuses non-zero unused bits, so a byte string has exactly one accepted encoding (two with
        /// ``Padding/optional``: with and without padding).
        case zero
        /// Decoding ignores them: `QR==` reads like `QQ==`.
        case ignored
    }

    /// The alphabet encoded and accepted.
    public var alphabet: Alphabet
    /// Padding written and accepted.
    public var padding: Padding
    /// What decoding does with the unused bits of the last character.
    public var unusedBits: UnusedBits

    /// A variant.
    @inlinable
    public init(alphabet: Alphabet, padding: Padding, unusedBits: UnusedBits) {
        self.alphabet = alphabet
        self.padding = padding
        self.unusedBits = unusedBits
    }

    /// Standard alphabet, padded when encoding, padding optional when decoding, unused bits zero: strict and
    /// canonical up to padding, no whitespace (AWS `SecretBinary`, API Gateway request bodies, Lambda error bodies).
    @inlinable
    public static var standard: Base64 { Base64(alphabet: .standard, padding: .optional, unusedBits: .zero) }

    /// URL alphabet, never padded, unused bits zero: base64url as JWS uses it (RFC 7515 §2), where every byte string
    /// has exactly one accepted encoding (JWT segments, JWK members, opaque cursors).
    @inlinable
    public static var urlUnpadded: Base64 { Base64(alphabet: .url, padding: .forbidden, unusedBits: .zero) }

    // MARK: Encoding

    /// The encoding of `bytes`, padded unless ``padding`` is ``Padding/forbidden``.
    public func encode(_ bytes: some Collection<UInt8>) -> String {
        if let encoded = bytes.withContiguousStorageIfAvailable({ encode(buffer: $0) }) {
            return encoded
        }
        return Array(bytes).withUnsafeBufferPointer { encode(buffer: $0) }
    }

    private func encode(buffer: UnsafeBufferPointer<UInt8>) -> String {
        let groups = buffer.count / 3
        let tail = buffer.count % 3
        let tailCount = tail == 0 ? 0 : padding == .forbidden ? tail + 1 : 4
        let outputCount = groups * 4 + tailCount
        guard outputCount > 0 else { return "" }
        let characters: StaticString = alphabet == .standard ? Self.standardCharacters : Self.urlCharacters
        return String(unsafeUninitializedCapacity: outputCount) { output in
            characters.withUTF8Buffer { table in
                var read = 0
                var written = 0
                for _ in 0..<groups {
                    let group = UInt32(buffer[read]) << 16 | UInt32(buffer[read + 1]) << 8 | UInt32(buffer[read + 2])
                    output[written] = table[Int(group >> 18)]
                    output[written + 1] = table[Int(group >> 12 & 0x3F)]
                    output[written + 2] = table[Int(group >> 6 & 0x3F)]
                    output[written + 3] = table[Int(group & 0x3F)]
                    read += 3
                    written += 4
                }
                guard tail > 0 else { return written }
                let second = tail == 2 ? UInt32(buffer[read + 1]) : 0
                let group = UInt32(buffer[read]) << 16 | second << 8
                output[written] = table[Int(group >> 18)]
                output[written + 1] = table[Int(group >> 12 & 0x3F)]
                written += 2
                if tail == 2 {
                    output[written] = table[Int(group >> 6 & 0x3F)]
                    written += 1
                }
                while written < outputCount {
                    output[written] = Self.pad
                    written += 1
                }
                return written
            }
        }
    }

    // MARK: Decoding

    /// The bytes `encoded` holds under this variant's rules, or `nil` when it breaks any of them.
    public func decode(_ encoded: some Collection<UInt8>) -> [UInt8]? {
        if let decoded = encoded.withContiguousStorageIfAvailable({ decode(buffer: $0) }) {
            return decoded
        }
        return Array(encoded).withUnsafeBufferPointer { decode(buffer: $0) }
    }

    /// The bytes the UTF-8 of `encoded` holds, under the same rules.
    public func decode(_ encoded: String) -> [UInt8]? {
        decode(encoded.utf8)
    }

    private func decode(buffer: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        // Padding is stripped only from a length that is a multiple of 4 (and never with `.forbidden`); any other
        // `=` is outside the alphabet and fails the table lookup below.
        var length = buffer.count
        if padding != .forbidden {
            if length % 4 == 0, length > 0, buffer[length - 1] == Self.pad {
                length -= 1
                if buffer[length - 1] == Self.pad {
                    length -= 1
                }
            } else if padding == .required, length % 4 != 0 {
                return nil
            }
        }
        let groups = length / 4
        let tail = length % 4
        guard tail != 1 else { return nil }
        let outputCount = groups * 3 + (tail == 0 ? 0 : tail - 1)
        let table = alphabet == .standard ? Self.standardValues : Self.urlValues
        let ignoresUnusedBits = unusedBits == .ignored
        return table.withUnsafeBufferPointer { table in
            var valid = true
            let output = [UInt8](unsafeUninitializedCapacity: outputCount) { output, initialized in
                var read = 0
                var written = 0
                for _ in 0..<groups {
                    let a = table[Int(buffer[read])], b = table[Int(buffer[read + 1])]
                    let c = table[Int(buffer[read + 2])], d = table[Int(buffer[read + 3])]
                    // Every value is below 64; 0xFF marks a byte outside the alphabet.
                    guard (a | b | c | d) & 0xC0 == 0 else {
                        valid = false
                        break
                    }
                    let group = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    output[written] = UInt8(truncatingIfNeeded: group >> 16)
                    output[written + 1] = UInt8(truncatingIfNeeded: group >> 8)
                    output[written + 2] = UInt8(truncatingIfNeeded: group)
                    read += 4
                    written += 3
                }
                if valid, tail > 0 {
                    let a = table[Int(buffer[read])], b = table[Int(buffer[read + 1])]
                    let c = tail == 3 ? table[Int(buffer[read + 2])] : 0
                    let unused = tail == 3 ? c & 0x03 : b & 0x0F
                    if (a | b | c) & 0xC0 != 0 || (unused != 0 && !ignoresUnusedBits) {
                        valid = false
                    } else {
                        let group = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6
                        output[written] = UInt8(truncatingIfNeeded: group >> 16)
                        written += 1
                        if tail == 3 {
                            output[written] = UInt8(truncatingIfNeeded: group >> 8)
                            written += 1
                        }
                    }
                }
                initialized = valid ? written : 0
            }
            return valid ? output : nil
        }
    }

    // MARK: Tables

    private static let pad = UInt8(ascii: "=")
    private static let standardCharacters: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    private static let urlCharacters: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

    /// The value of each byte in the standard alphabet; 0xFF for bytes outside it.
    private static let standardValues: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0x00
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0x10
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3E, 0xFF, 0xFF, 0xFF, 0x3F,  // 0x20
        0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0x30
        0xFF, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E,  // 0x40
        0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0x50
        0xFF, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,  // 0x60
        0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F, 0x30, 0x31, 0x32, 0x33, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0x70
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0x80
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0x90
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0xA0
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0xB0
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0xC0
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0xD0
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0xE0
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0xF0
    ]

    /// The value of each byte in the URL alphabet; 0xFF for bytes outside it.
    private static let urlValues: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0x00
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0x10
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3E, 0xFF, 0xFF,  // 0x20
        0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0x30
        0xFF, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E,  // 0x40
        0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F,  // 0x50
        0xFF, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,  // 0x60
        0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F, 0x30, 0x31, 0x32, 0x33, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0x70
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0x80
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0x90
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0xA0
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0xB0
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0xC0
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0xD0
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0xE0
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // 0xF0
    ]
}
