import Testing

@testable import Curl

/// Header fields read from a response's header block on demand.
@Suite struct HTTPResponseTests {
    private static let block = Array(
        ("Content-Type: application/json\r\nLambda-Runtime-Aws-Request-Id:   abc-1 \r\nX-Empty:\r\nno colon here\r\n"
            + "x-dup: first\r\nX-DUP: second\r\nLambda-Runtime-Deadline-Ms:\t1700000000000\nlast-line: unterminated").utf8
    )

    @Test func fieldsAreFoundWithoutCaseAndTheFirstValueWins() {
        let response = HTTPResponse(status: 200, headerBlock: Self.block, body: [])
        #expect(response.header("content-type") == "application/json")
        // Leading blanks go; the value keeps what follows them up to the line end (trailing space included).
        #expect(response.header("LAMBDA-RUNTIME-AWS-REQUEST-ID") == "abc-1 ")
        #expect(response.header("x-dup") == "first")
        #expect(response.header("x-empty") == "")
        #expect(response.header("Lambda-Runtime-Deadline-Ms") == "1700000000000")
        #expect(response.header("last-line") == "unterminated")
        #expect(response.header("no colon here") == nil)
        #expect(response.header("x-missing") == nil)
        #expect(response.header("x-du") == nil)
    }

    @Test func severalFieldsInOnePassMatchOneByOneLookups() {
        let response = HTTPResponse(status: 200, headerBlock: Self.block, body: [])
        let names = ["x-dup", "Lambda-Runtime-Deadline-Ms", "x-missing", "CONTENT-TYPE", "x-empty", "x-dup"]
        #expect(response.headers(named: HTTPResponse.FieldNames(names)) == names.map { response.header($0) })
    }

    @Test func allFieldsInOrder() {
        let response = HTTPResponse(status: 200, headerBlock: Self.block, body: [])
        #expect(response.headers.map { $0.name } == [
            "Content-Type", "Lambda-Runtime-Aws-Request-Id", "X-Empty", "x-dup", "X-DUP", "Lambda-Runtime-Deadline-Ms", "last-line",
        ])
        let given = [HTTPHeader("A", "1"), HTTPHeader("b", "two words")]
        #expect(HTTPResponse(status: 204, headers: given).headers == given)
        #expect(HTTPResponse(status: 204).headers.isEmpty)
    }

    @Test func onlyTheFinalResponsesFieldsAreKept() {
        let raw = Array(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nX-Final: yes\r\n\r\n".utf8
        )
        func finalBlock(_ bytes: [UInt8]) -> [UInt8] { bytes.withUnsafeBufferPointer { CurlEasy.finalHeaderBlock($0) } }
        let response = HTTPResponse(status: 200, headerBlock: finalBlock(raw), body: [])
        #expect(response.headers == [HTTPHeader("X-Final", "yes")])
        #expect(finalBlock(Array("HTTP/1.1 204 No Content\r\n".utf8)).isEmpty)
        #expect(finalBlock(Array("HTTP/1.1 200 OK\r\nA: 1".utf8)) == Array("A: 1".utf8))
        #expect(finalBlock([]).isEmpty)
    }
}

/// Which paths a parsed URL takes as they are.
@Suite struct CurlURLTests {
    @Test func plainPathsAreUnreservedCharactersAndSlashes() {
        for path in ["/", "/2018-06-01/runtime/invocation/8f5e3a4c-0000-4000-8000-000000000001/response", "/a_b.c~d/E9"] {
            #expect(CurlURL.isPlainPath(path), "\(path)")
        }
        for path in ["", "x/y", "/a b", "/a?b", "/a#b", "/a%20b", "/a@b", "/é", "/a\r\nb", "/[x]", "/a{b}", "/a`b"] {
            #expect(!CurlURL.isPlainPath(path), "\(path)")
        }
    }

    @Test func aURLLibcurlRefusesIsAnError() throws {
        #expect(throws: CurlError.self) { try CurlURL("http://[not-a-host/next") }
        let url = try CurlURL("http://127.0.0.1:9001/2018-06-01/runtime/invocation/next")
        try url.setPath("/2018-06-01/runtime/invocation/abc/response")
    }
}
