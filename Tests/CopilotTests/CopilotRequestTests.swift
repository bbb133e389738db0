import Copilot
import Middleware
import Postgres
import Testing

@Suite struct CopilotRequestTests {
    func parse(_ body: String?) throws(EnvelopeError) -> CopilotRequest {
        try CopilotRequest(body: body.map { Array($0.utf8) })
    }

    @Test func validBodyWithOwner() throws {
        let r = try parse(#"{"customerId":"acme","params":{"ownerUserId":"user_1","periodDays":30}}"#)
        #expect(r.customerId == "acme")
        #expect(r.tenant.rawValue == "user_1")
    }

    @Test(arguments: [#"{"customerId":"acme"}"#, #"{"customerId":"acme","params":{}}"#,
                      #"{"customerId":"acme","params":{"ownerUserId":""}}"#, #"{"customerId":"acme","params":{"ownerUserId":null}}"#])
    func absentOrEmptyOwnerIsPublic(_ body: String) throws {
        #expect(try parse(body).tenant == TenantID.publicTenant)
    }

    @Test(arguments: [
        nil, "", "not json", "[1,2]", "\"acme\"", "null", "{}", #"{"customerId":""}"#, #"{"customerId":42}"#,
        #"{"customerId":null}"#, #"{"customerId":["a"]}"#, #"{"customerId":"acme","params":[]}"#,
        #"{"customerId":"acme","params":"x"}"#, #"{"customerId":"acme","params":null}"#,
        #"{"customerId":"acme","params":{"ownerUserId":7}}"#, #"{"customerId":"a","customerId":"b"}"#,
        #"{"customerId":"acme",}"#, "{\"customerId\":\"a\u{0001}b\"}",
    ])
    func invalidBodies(_ body: String?) {
        #expect {
            try parse(body)
        } throws: { error in
            (error as? EnvelopeError)?.code == .invalidInput
        }
    }

    @Test func overlongIdentifiersAreRefused() {
        let long = String(repeating: "x", count: 257)
        #expect(throws: EnvelopeError.self) { try parse(#"{"customerId":"\#(long)"}"#) }
        #expect(throws: EnvelopeError.self) { try parse(#"{"customerId":"a","params":{"ownerUserId":"\#(long)"}}"#) }
    }

    @Test func sqlInjectionStringsAreJustIdentifiers() throws {
        let r = try parse(#"{"customerId":"' OR 1=1 --","params":{"ownerUserId":"x'; DROP TABLE contracts; --"}}"#)
        #expect(r.customerId == "' OR 1=1 --")
        #expect(r.tenant.rawValue == "x'; DROP TABLE contracts; --")
    }

    @Test func errorMessagesDoNotEchoInput() {
        do {
            _ = try parse(#"{"customerId":"secret-value-123","params":"also-secret"}"#)
            Issue.record("expected failure")
        } catch {
            #expect(!error.message.contains("secret"))
        }
    }

    /// `{"customerId":"acme","params":{"x":[[…[1]…]]}}` with the whole body nested `depth` levels deep.
    func nested(depth: Int) -> String {
        let inner = depth - 3 // the body object, params and x's object
        return #"{"customerId":"acme","params":{"x":{"y":"# + String(repeating: "[", count: inner) + "1"
            + String(repeating: "]", count: inner) + "}}}"
    }

    @Test func deepExtraParamsAreIgnoredNotCalledInvalid() throws {
        // Valid JSON nested deeper than 16 levels (the old limit) is a valid request: extra params are ignored.
        for depth in [17, 64, JSONBody.maxNesting] {
            let request = try parse(nested(depth: depth))
            #expect(request.customerId == "acme" && request.tenant == TenantID.publicTenant, "depth \(depth)")
        }
    }

    @Test func nestingBeyondTheLimitSaysWhatTheLimitIs() {
        do {
            _ = try parse(nested(depth: JSONBody.maxNesting + 1))
            Issue.record("expected failure")
        } catch {
            #expect(error.code == .invalidInput)
            #expect(error.message == "The request body nests arrays and objects deeper than 1000 levels.")
        }
    }

    @Test(arguments: [
        ("not json", "The request body is not valid JSON."),
        (#"{"customerId":"a","customerId":"b"}"#, "The request body repeats a member name within one object."),
        (#"{"customerId":"a","params":{"n":1e400}}"#,
         "The request body holds a number beyond the range of a 64-bit floating-point value."),
    ])
    func parseFailuresSayWhatIsWrong(body: String, message: String) {
        do {
            _ = try parse(body)
            Issue.record("expected failure")
        } catch {
            #expect(error.code == .invalidInput && error.message == message)
        }
    }

    @Test func invalidUTF8IsNamed() {
        do {
            _ = try CopilotRequest(body: Array(#"{"customerId":"a"#.utf8) + [0xFF] + Array(#""}"#.utf8))
            Issue.record("expected failure")
        } catch {
            #expect(error.code == .invalidInput && error.message == "The request body is not valid UTF-8.")
        }
    }
}
