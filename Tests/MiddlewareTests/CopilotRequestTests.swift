import Postgres
import Testing

@testable import Middleware

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
}
