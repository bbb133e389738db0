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

    /// Names compared eight bytes at a time: equal without ASCII case only, whatever the length and wherever the
    /// difference (a byte that differs from a letter, a digit or `-` only in the case bit is another byte).
    @Test func namesMatchWithoutCaseOnlyWhereCaseIsLetters() {
        let block = Array(
            ("LAMBDA-runtime-AWS-request-ID: a\r\nLambda-Runtime-Aws-Request-Ie: b\r\nlambda-Runtime-Aws-Request-\rd: c\r\n"
                + "Lambda\rRuntime-Aws-Tenant-Id: d\r\nLambda-Runtime-Aws-Tenant-Id: e\r\nA\u{10}: f\r\na0: g\r\nx-Abc-Def-9: h\r\n"
                + "X-aBC-dEF-\u{19}: i\r\nX-Long-Name-That-Is-Sixteen+: j\r\n").utf8
        )
        let response = HTTPResponse(status: 200, headerBlock: block, body: [])
        let names = [
            "Lambda-Runtime-Aws-Request-Id", "Lambda-Runtime-Aws-Tenant-Id", "a0", "A0", "x-abc-def-9", "X-LONG-NAME-THAT-IS-SIXTEEN+",
            "x-long-name-that-is-sixteen-", "lambda-runtime-aws-request-", "a\u{10}",
        ]
        #expect(response.headers(named: HTTPResponse.FieldNames(names)) == ["a", "e", "g", "g", "h", "j", nil, nil, "f"])
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
        // Only a line that starts with `HTTP/` is a status line; without one, the whole block is fields.
        #expect(finalBlock(Array("HTTP/1.1 200 OK\r\nVia: 1.1 HTTP/2 proxy\r\nB: 2\r\n".utf8)) == Array("Via: 1.1 HTTP/2 proxy\r\nB: 2\r\n".utf8))
        #expect(finalBlock(Array("A: 1\nB: HTTP/".utf8)) == Array("A: 1\nB: HTTP/".utf8))
        #expect(finalBlock(Array("HTT".utf8)) == Array("HTT".utf8))
        #expect(finalBlock(Array("HTTP/1.1 100 Continue\n\nHTTP/1.1 201 Created\nC: 3".utf8)) == Array("C: 3".utf8))
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
            #expect(!CurlURL.isPlainPathPart(path) || path == "x/y" || path.isEmpty, "\(path)")
        }
        #expect(CurlURL.isPlainPathPart("8f5e3a4c-0000-4000-8000-000000000001") && CurlURL.isPlainPathPart("a/b.c~d_E9"))
    }

    @Test func aURLLibcurlRefusesIsAnError() throws {
        #expect(throws: CurlError.self) { try CurlURL("http://[not-a-host/next") }
        let url = try CurlURL("http://127.0.0.1:9001/2018-06-01/runtime/invocation/next")
        try url.setPath("/2018-06-01/runtime/invocation/abc/response")
        try url.setPath(utf8: Array("/2018-06-01/runtime/invocation/def/error".utf8))
    }
}
