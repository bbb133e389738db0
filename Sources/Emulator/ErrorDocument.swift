import Foundation

/// Lambda error JSON: building `{"errorMessage","errorType"}` documents and reading what a runtime posted.
enum ErrorDocument {
    /// `{"errorMessage":"...","errorType":"..."}` (keys in that order, as Lambda writes them).
    static func make(message: String, type: String?) -> [UInt8] {
        var text = "{\"errorMessage\":\(quoted(message))"
        if let type { text += ",\"errorType\":\(quoted(type))" }
        text += "}"
        return Array(text.utf8)
    }

    /// The error type and the invoke response body for an error a runtime posted: the posted document as it is when
    /// it is a JSON object (its `errorType`, else the header, else `Unhandled`), otherwise a document wrapping the text.
    static func normalize(posted body: [UInt8], headerType: String?) -> (type: String, body: [UInt8]) {
        let fallbackType = headerType.flatMap { $0.isEmpty ? nil : $0 } ?? "Unhandled"
        if let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] {
            let type = (object["errorType"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? fallbackType
            return (type, body)
        }
        return (fallbackType, make(message: String(decoding: body, as: UTF8.self), type: fallbackType))
    }

    /// A JSON string literal for `text`.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
