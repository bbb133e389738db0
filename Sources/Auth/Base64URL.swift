internal import WardenJSON

/// Base64url (RFC 4648 §5) the way JWS uses it (RFC 7515 §2): alphabet `A–Z a–z 0–9 - _`, never padded.
public enum Base64URL: Sendable {
    /// Encodes `bytes` without padding.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var out = Array(Base64.encode(bytes).utf8)
        while out.last == UInt8(ascii: "=") {
            out.removeLast()
        }
        for index in out.indices {
            switch out[index] {
            case UInt8(ascii: "+"): out[index] = UInt8(ascii: "-")
            case UInt8(ascii: "/"): out[index] = UInt8(ascii: "_")
            default: break
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes strict unpadded base64url. Returns `nil` for anything else: `=` padding, the standard alphabet's `+`
    /// and `/`, whitespace or any other byte, a length of 1 modulo 4, or non-zero unused bits in the last character
    /// (so every byte string has exactly one accepted encoding).
    public static func decode(_ encoded: some Collection<UInt8>) -> [UInt8]? {
        var standard = [UInt8]()
        standard.reserveCapacity(encoded.count)
        for byte in encoded {
            switch byte {
            case UInt8(ascii: "-"): standard.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): standard.append(UInt8(ascii: "/"))
            case UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="): return nil
            default: standard.append(byte)  // anything outside the alphabet fails in `Base64.decode`
            }
        }
        return Base64.decode(standard)
    }

    /// Decodes a base64url string (see `decode(_:)` for the rules).
    public static func decode(_ encoded: String) -> [UInt8]? {
        decode(encoded.utf8)
    }
}
