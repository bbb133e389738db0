import LambdaRuntime
import Testing
import WardenJSON

@testable import LambdaHTTP

/// `apiGatewayResult()` writes the document in one pass into one buffer; the bytes are those of the field-by-field
/// writer it replaced (written out below).
@Suite struct APIGatewayResultTests {
    /// The previous writer's escaping of one string, byte by byte.
    static func quoted(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                out += "\\u00" + (hex.count == 1 ? "0" + hex : hex)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// What the previous `apiGatewayResult()` wrote.
    static func reference(_ response: HTTPResponse) -> [UInt8] {
        var text = "{\"statusCode\":\(response.status),\"headers\":{"
        text += response.headers.map { quoted($0.0) + ":" + quoted($0.1) }.joined(separator: ",")
        text += "},\"body\":" + quoted(String(decoding: response.bytes ?? [], as: UTF8.self)) + ",\"isBase64Encoded\":false}"
        return Array(text.utf8)
    }

    static var responses: [HTTPResponse] { [
        HTTPResponse(status: 204, headers: []),
        HTTPResponse(status: 204, headers: [("Access-Control-Allow-Origin", "http://localhost:3000"), ("Vary", "Origin")]),
        HTTPResponse(
            status: 200, headers: [("Content-Type", "application/json"), ("X-Odd \"name\"", "tab\there\\ \u{1} caf\u{E9} \u{1F600}")],
            body: .bytes(Array(#"{"ok":true,"data":{"name":"Zo\u00eb \"q\" / \\"},"error":null}"#.utf8))),
        HTTPResponse(status: 500, headers: [("A", ""), ("", "b"), ("A", "again")], body: .bytes(Array("line\nbreak\u{7F}".utf8))),
        HTTPResponse(status: 413, headers: [("Content-Type", "text/plain")], body: .bytes([0x61, 0xFF, 0xC0, 0xAF, 0xED, 0xA0, 0x80, 0x62])),
        HTTPResponse(status: -1, headers: [("Long", String(repeating: "0123456789", count: 300))], body: .bytes(Array(String(repeating: "é\"", count: 5000).utf8))),
        // A base64 body as a function writes it (the document itself says `isBase64Encoded: false`).
        HTTPResponse(status: 200, headers: [("Content-Type", "application/octet-stream")], body: .bytes(Array("AAEC/w==".utf8))),
        HTTPResponse(status: 200, headers: [("Content-Type", "text/event-stream")], body: .stream(ChunkStreamStub())),
    ] }

    @Test func documentIsByteForByteWhatItWas() {
        for response in Self.responses {
            #expect(response.apiGatewayResult() == Self.reference(response))
        }
    }

    /// One kept beginning serving answers in turn: reused while the status and fields are the same, written anew (and
    /// the document still byte for byte the reference) whenever the status, a name, a value or the count differs.
    @Test func aKeptHeadersObjectGivesTheSameDocuments() {
        var kept = HTTPResponse.ResultHead()
        let sequence = Self.responses + Self.responses.reversed() + [Self.responses[1], Self.responses[1]] + [
            HTTPResponse(status: 204, headers: [("Access-Control-Allow-Origin", "http://localhost:3001"), ("Vary", "Origin")]),
            HTTPResponse(status: 204, headers: [("Access-Control-Allow-Origin", "http://localhost:3001"), ("vary", "Origin")]),
            HTTPResponse(status: 204, headers: [("Access-Control-Allow-Origin", "http://localhost:3001")]),
            HTTPResponse(status: 204, headers: []),
            HTTPResponse(status: 200, headers: []),
            HTTPResponse(status: 200, headers: [("Vary", "Origin")]),
            HTTPResponse(status: 404, headers: [("Vary", "Origin")]),
        ]
        for response in sequence {
            #expect(response.apiGatewayResult(reusing: &kept) == Self.reference(response))
        }
    }

    @Test func documentParsesBackToTheResponse() throws {
        let response = Self.responses[2]
        let document = try JSON.parse(response.apiGatewayResult())
        #expect(document["statusCode"] == 200)
        #expect(document["headers"]?["X-Odd \"name\""]?.stringValue == "tab\there\\ \u{1} caf\u{E9} \u{1F600}")
        #expect(document["body"]?.stringValue.map { Array($0.utf8) } == response.bytes)
        #expect(document["isBase64Encoded"] == false)
    }
}

/// A stream body: `apiGatewayResult()` drops its bytes.
struct ChunkStreamStub: ResponseStream {
    var contentType: String { "text/event-stream" }
    mutating func next() throws -> [UInt8]? { nil }
}
