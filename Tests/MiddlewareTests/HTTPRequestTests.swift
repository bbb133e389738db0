import Bytes
import Testing
import WardenJSON

@testable import LambdaHTTP
@testable import Middleware

@Suite struct HTTPRequestTests {
    func httpEvent(rawPath: String, stage: String?) -> [UInt8] {
        let stageField = stage.map { #","stage":"\#($0)""# } ?? ""
        return Array(
            #"{"version":"2.0","rawPath":"\#(rawPath)","requestContext":{"http":{"method":"GET","path":"\#(rawPath)"}\#(stageField)}}"#.utf8
        )
    }

    @Test(arguments: [
        ("/prod/api/participants", "prod", "/api/participants"),
        ("/prod", "prod", "/"),
        ("/prod/", "prod", "/"),
        ("/production/api/x", "prod", "/production/api/x"),
        ("/api/participants", "$default", "/api/participants"),
        ("/api/participants", nil, "/api/participants"),
        ("/dev/api/participants", "prod", "/dev/api/participants"),
    ] as [(String, String?, String)])
    func namedStageSegmentIsRemovedFromRawPath(rawPath: String, stage: String?, expected: String) throws {
        let request = try HTTPRequest(event: httpEvent(rawPath: rawPath, stage: stage))
        #expect(request.path == expected)
        #expect(request.method == "GET")
    }

    @Test func restPathIsTakenAsIs() throws {
        let event = #"{"httpMethod":"POST","path":"/prod/calculate_health","requestContext":{"stage":"prod"}}"#
        let request = try HTTPRequest(event: Array(event.utf8))
        // REST payload 1.0 `path` never carries the stage: a resource that starts with the stage's name stays whole.
        #expect(request.path == "/prod/calculate_health")
    }

    // MARK: UTF-8 bodies (issue 14)

    /// An HTTP API event whose body is `body` as text (`isBase64Encoded: false`) or `bytes` base64-encoded.
    func bodyEvent(text body: String) -> [UInt8] {
        let escaped = JSON.string(body).serialized()
        return Array(#"{"version":"2.0","rawPath":"/api/x","requestContext":{"http":{"method":"POST"}},"body":"#.utf8)
            + escaped + Array(#","isBase64Encoded":false}"#.utf8)
    }

    func bodyEvent(base64 bytes: [UInt8]) -> [UInt8] {
        Array(
            #"{"version":"2.0","rawPath":"/api/x","requestContext":{"http":{"method":"POST"}},"body":"\#(Base64.standard.encode(bytes))","isBase64Encoded":true}"#
                .utf8
        )
    }

    func refusal(_ event: [UInt8]) throws -> EnvelopeError? {
        let request = try HTTPRequest(event: event)
        do {
            try request.requireUTF8Body()
            return nil
        } catch {
            return error
        }
    }

    /// Ill-formed UTF-8 as a client may send it: a byte that never occurs, an overlong `/`, a UTF-16 surrogate
    /// encoded in UTF-8, a truncated `€`, a stray continuation byte, a value above U+10FFFF, Latin-1 `é`.
    static let illFormed: [[UInt8]] = [
        [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0x80], [0xF4, 0x90, 0x80, 0x80], [0xE9, 0x74, 0xE9],
    ]

    @Test(arguments: illFormed)
    func base64BodyWithIllFormedUTF8IsRefused(bad: [UInt8]) throws {
        let body = Array(#"{"displayName":"Zo"#.utf8) + bad + Array(#""}"#.utf8)
        let error = try #require(try refusal(bodyEvent(base64: body)))
        #expect(error.code == .invalidInput)
        #expect(error.message == "The request body is not valid UTF-8.")
    }

    @Test(arguments: illFormed)
    func textBodyWithWhatAPIGatewayLeavesOfIllFormedUTF8IsRefused(bad: [UInt8]) throws {
        // API Gateway decodes a text body with each ill-formed sequence replaced by U+FFFD.
        let text = #"{"displayName":"Zo"# + String(decoding: bad, as: UTF8.self) + #""}"#
        #expect(text.unicodeScalars.contains("\u{FFFD}"))
        let error = try #require(try refusal(bodyEvent(text: text)))
        #expect(error.code == .invalidInput)
        #expect(error.message == "The request body is not valid UTF-8.")
    }

    @Test func wellFormedBodiesPass() throws {
        let text = #"{"displayName":"Zoë 😀 日本","note":"\ufffd escaped is fine"}"#
        #expect(try refusal(bodyEvent(text: text)) == nil)
        #expect(try refusal(bodyEvent(base64: Array(text.utf8))) == nil)
        // In a base64 body U+FFFD is a character the client really sent.
        #expect(try refusal(bodyEvent(base64: Array("{\"a\":\"\u{FFFD}\"}".utf8))) == nil)
        #expect(try refusal(bodyEvent(text: "")) == nil)
        let noBody = #"{"version":"2.0","rawPath":"/api/x","requestContext":{"http":{"method":"GET"}},"isBase64Encoded":false}"#
        #expect(try refusal(Array(noBody.utf8)) == nil)
    }

    @Test func bodyEncodingIsRecorded() throws {
        #expect(try HTTPRequest(event: bodyEvent(base64: [0x7B, 0x7D])).bodyWasBase64Encoded)
        #expect(try !HTTPRequest(event: bodyEvent(text: "{}")).bodyWasBase64Encoded)
    }
}

/// Header lookups compare a summary of each name first: names equal without case must always meet.
@Suite struct HTTPRequestHeaderLookupTests {
    @Test func everyCaseOfANameFindsItAndOthersDoNot() {
        let fields = [
            ("X-Signature", "sig"), ("x-client", "c1"), ("X-CLIENT", "c1"), ("Content-Type", "application/json"),
            ("X-Timestamp", "1"), ("x-timestamp", "2"), ("", "empty"), ("Ä-Ü", "umlaut"), ("xa", "2"), ("ax", "3"),
        ]
        let request = HTTPRequest(method: "POST", path: "/", headerFields: fields.map { HTTPRequest.HeaderField(name: $0.0, value: $0.1) })
        #expect(request.header("x-signature") == .value("sig"))
        #expect(request.header("X-SIGNATURE") == .value("sig"))
        #expect(request.header("x-client") == .value("c1"))  // twice, the same value
        #expect(request.header("x-timestamp") == .conflict)
        #expect(request.header("content-type") == .value("application/json"))
        #expect(request.header("") == .value("empty"))
        #expect(request.header("Ä-Ü") == .value("umlaut"))
        #expect(request.header("ä-ü") == .absent)  // letters beyond ASCII keep their case
        #expect(request.header("x-signaturf") == .absent)
        #expect(request.header("y-signature") == .absent)
        #expect(request.header("xa") == .value("2"))
        #expect(request.header("x-sig") == .absent)
    }
}
