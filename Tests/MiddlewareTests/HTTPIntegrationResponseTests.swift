import LambdaRuntime
import Testing
import WardenJSON

@Suite struct HTTPIntegrationResponseTests {
    /// Splits a prelude at its 8 NUL bytes: the JSON head and what follows.
    private func split(_ bytes: [UInt8]) throws -> (head: JSON, rest: [UInt8]) {
        var index = 0
        while index + 8 <= bytes.count, !bytes[index..<(index + 8)].allSatisfy({ $0 == 0 }) { index += 1 }
        try #require(index + 8 <= bytes.count, "no 8-NUL delimiter")
        return (try JSON.parse(Array(bytes[..<index])), Array(bytes[(index + 8)...]))
    }

    @Test func preludeIsJSONThenEightNULs() throws {
        let response = HTTPIntegrationResponse(
            statusCode: 201,
            headers: ["Content-Type": "text/csv", "X-Export": "participants"],
            cookies: ["session=abc; Secure; HttpOnly", "theme=dark"]
        )
        let prelude = response.prelude
        #expect(prelude.suffix(8) == [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(
            String(decoding: prelude.dropLast(8), as: UTF8.self)
                == #"{"statusCode":201,"headers":{"Content-Type":"text/csv","X-Export":"participants"},"cookies":["session=abc; Secure; HttpOnly","theme=dark"]}"#
        )
        let (head, rest) = try split(prelude)
        #expect(rest.isEmpty)
        #expect(head["statusCode"] == .int(201))
        #expect(head["headers"]?["X-Export"] == .string("participants"))
        #expect(head["cookies"]?.arrayValue?.count == 2)
        // Exactly one delimiter: the JSON itself holds no NUL byte.
        #expect(!prelude.dropLast(8).contains(0))
    }

    @Test func emptyHeadersAndCookiesAreStillWritten() {
        let prelude = HTTPIntegrationResponse().prelude
        #expect(String(decoding: prelude.dropLast(8), as: UTF8.self) == #"{"statusCode":200,"headers":{},"cookies":[]}"#)
        #expect(prelude.count == 44 + 8)
    }

    @Test func valuesAreEscaped() throws {
        let prelude = HTTPIntegrationResponse(statusCode: 200, headers: ["X-Q": "a\"b\\c\n"], cookies: ["k=\u{1}"]).prelude
        let (head, _) = try split(prelude)
        #expect(head["headers"]?["X-Q"] == .string("a\"b\\c\n"))
        #expect(head["cookies"]?[0] == .string("k=\u{1}"))
        #expect(!prelude.dropLast(8).contains(0))
    }

    @Test func contentTypeIsLambdasHTTPIntegrationType() {
        #expect(HTTPIntegrationResponse.contentType == "application/vnd.awslambda.http-integration-response")
    }

    @Test func streamSendsPreludeThenBodyThenEnds() throws {
        let head = HTTPIntegrationResponse(statusCode: 200, headers: ["Content-Type": "text/plain"])
        var stream = head.stream(body: ChunkStream(contentType: "ignored", chunks: [Array("a,b\n".utf8), [], Array("c,d\n".utf8)]))
        #expect(stream.contentType == HTTPIntegrationResponse.contentType)
        var parts: [[UInt8]] = []
        while let chunk = try stream.next() { parts.append(chunk) }
        #expect(parts.count == 4)
        #expect(parts[0] == head.prelude)
        #expect(parts.dropFirst().flatMap { $0 } == Array("a,b\nc,d\n".utf8))
        #expect(try stream.next() == nil)
    }

    @Test func bodyErrorsPassThroughAfterThePrelude() throws {
        struct Failing: ResponseStream {
            struct Boom: Error {}
            var contentType: String { "text/plain" }
            mutating func next() throws -> [UInt8]? { throw Boom() }
        }
        var stream = HTTPIntegrationResponse(statusCode: 500).stream(body: Failing())
        #expect(try stream.next() == HTTPIntegrationResponse(statusCode: 500).prelude)
        #expect(throws: Failing.Boom.self) { try stream.next() }
    }
}
