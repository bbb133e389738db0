import WardenJSON

extension Base64 {
    /// Decodes a proxy response's base64 body as the gateway reads it: padding required (the length a multiple of 4),
    /// no whitespace, and the unused low bits of the last character ignored (`QR==` reads like `QQ==`), which
    /// WardenJSON's canonical `decode` refuses. Nil for anything else.
    static func decodeBody(_ text: String) -> [UInt8]? {
        var bytes = Array(text.utf8)
        guard bytes.count % 4 == 0 else { return nil }
        let padding = bytes.reversed().prefix(2).prefix { $0 == UInt8(ascii: "=") }.count
        if padding > 0, bytes.count > padding {
            let last = bytes.count - 1 - padding
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
            guard let sextet = alphabet.firstIndex(of: bytes[last]) else { return nil }
            bytes[last] = alphabet[sextet & (padding == 2 ? 0x30 : 0x3C)]
        }
        return decode(bytes)
    }
}
