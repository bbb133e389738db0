import Foundation

/// Standard base64 (RFC 4648 §4, with padding), as API Gateway and Lambda use it for binary bodies.
enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    /// The decoded bytes; nil when `text` is not valid padded base64 (whitespace is not allowed).
    static func decode(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text).map { Array($0) }
    }
}
