import Middleware
import Testing
import WardenJSON

@testable import Intent

@Suite struct ScoreRequestTests {
    /// Validates `body` (JSON text) as the route does, after `RouteRequest.jsonBody`.
    func validate(_ body: String) throws -> ScoreRequest {
        guard case .object(let object) = try JSON.parse(body) else { throw JSONError(.typeMismatch) }
        return try ScoreRequest(object)
    }

    /// The refusal of `body`: `INVALID_INPUT` with `message`.
    func expectRefusal(_ body: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: EnvelopeError(.invalidInput, message), "\(body)", sourceLocation: sourceLocation) {
            try validate(body)
        }
    }

    @Test func queryOnlyTakesTheDefaults() throws {
        let request = try validate(#"{"query":"cloud migration budget"}"#)
        #expect(request.query == "cloud migration budget")
        #expect(request.limit == 10)
        #expect(request.filters.industry == nil && request.filters.size == nil && request.filters.region == nil)
    }

    @Test func everyField() throws {
        let request = try validate(
            #"{"query":"  renewal  ","industry":"Énergie","size":"51-200","region":"EMEA","limit":50}"#)
        #expect(request.query == "  renewal  ") // kept as sent: only a blank query is refused
        #expect(request.filters.industry == "Énergie" && request.filters.size == "51-200" && request.filters.region == "EMEA")
        #expect(request.limit == 50)
    }

    @Test func nullMeansAbsent() throws {
        let request = try validate(#"{"query":"q","industry":null,"size":null,"region":null,"limit":null}"#)
        #expect(request.limit == 10 && request.filters.industry == nil && request.filters.size == nil && request.filters.region == nil)
    }

    @Test func lengthsAreInBytes() throws {
        #expect(try validate(#"{"query":"\#(String(repeating: "x", count: 500))"}"#).query.utf8.count == 500)
        #expect(try validate(#"{"query":"\#(String(repeating: "é", count: 250))"}"#).query.utf8.count == 500)
        expectRefusal(#"{"query":"\#(String(repeating: "é", count: 251))"}"#, "query must be 1 to 500 bytes.")
        expectRefusal(#"{"query":"\#(String(repeating: "x", count: 501))"}"#, "query must be 1 to 500 bytes.")
        #expect(try validate(#"{"query":"q","region":"\#(String(repeating: "ü", count: 100))"}"#).filters.region?.utf8.count == 200)
        expectRefusal(
            #"{"query":"q","region":"\#(String(repeating: "ü", count: 100))x"}"#, "region must be a single-line string of 1 to 200 bytes.")
    }

    @Test(arguments: [1, 7, 50])
    func limitsInRange(_ limit: Int) throws {
        #expect(try validate(#"{"query":"q","limit":\#(limit)}"#).limit == limit)
    }

    @Test(arguments: ["0", "51", "-1", "1.5", "10.0", "1e1", #""10""#, "true", "[10]", "{}", "9223372036854775807"])
    func limitOutOfRangeOrNotAnInteger(_ limit: String) {
        expectRefusal(#"{"query":"q","limit":\#(limit)}"#, "limit must be an integer from 1 to 50.")
    }

    @Test(arguments: [#"{}"#, #"{"limit":5}"#, #"{"query":null}"#, #"{"query":42}"#, #"{"query":["q"]}"#, #"{"query":{"text":"q"}}"#])
    func queryRequiredAsAString(_ body: String) {
        expectRefusal(body, "query is required and must be a string.")
    }

    @Test func queryRules() {
        expectRefusal(#"{"query":""}"#, "query must be 1 to 500 bytes.")
        expectRefusal(#"{"query":"   "}"#, "query must not be blank.")
        for control in ["\\n", "\\t", "\\r", "\\u0000", "\\u001f", "\u{7F}"] {
            expectRefusal(#"{"query":"a\#(control)b"}"#, "query must not contain control characters.")
        }
        // Only spaces count as blank: other white space is a control character, non-ASCII spaces are text.
        #expect((try? validate(#"{"query":"\u00a0"}"#)) != nil)
    }

    @Test(arguments: ["industry", "size", "region"])
    func filterRules(_ name: String) throws {
        let filters = try validate(#"{"query":"q","\#(name)":"x"}"#).filters
        #expect([filters.industry, filters.size, filters.region] == ["industry", "size", "region"].map { $0 == name ? "x" : nil })
        for value in ["42", "true", "[\"x\"]", "{\"x\":1}"] {
            expectRefusal(#"{"query":"q","\#(name)":\#(value)}"#, "\(name) must be a string.")
        }
        for value in ["", "a\\nb", "tab\\there", "\u{7F}", String(repeating: "x", count: 201)] {
            expectRefusal(#"{"query":"q","\#(name)":"\#(value)"}"#, "\(name) must be a single-line string of 1 to 200 bytes.")
        }
    }

    @Test func theFirstFaultIsReported() {
        // Each rule in order: personal field names, unknown fields, consumer addresses, then the fields one by one.
        expectRefusal(#"{"query":42,"email":"a@b.co","other":1}"#, "Personal data is not accepted: B2B fields only.")
        expectRefusal(#"{"query":42,"other":1,"region":"bob@gmail.com"}"#, "The request body has an unknown field.")
        expectRefusal(#"{"query":"q","limit":0,"region":"bob@gmail.com"}"#, "Personal data is not accepted: region holds a consumer e-mail address.")
        expectRefusal(#"{"query":"","industry":5,"limit":0}"#, "query must be 1 to 500 bytes.")
        expectRefusal(#"{"query":"q","industry":5,"size":5,"limit":0}"#, "industry must be a string.")
        expectRefusal(#"{"query":"q","size":"","region":5,"limit":0}"#, "size must be a single-line string of 1 to 200 bytes.")
    }

    @Test(arguments: ["email", "workEmail", "E_MAIL", "phone", "phone_number", "personalNotes", "name", "Name", "firstName",
                      "last-name", "LASTNAME"])
    func personalFieldsAreRefused(_ field: String) {
        expectRefusal(#"{"query":"q","\#(field)":"x"}"#, "Personal data is not accepted: B2B fields only.")
    }

    @Test(arguments: ["companyName", "domain", "q", "Query", "limits", "industries", ""])
    func unknownFieldsAreRefused(_ field: String) {
        expectRefusal(#"{"query":"q","\#(field)":"x"}"#, "The request body has an unknown field.")
    }

    @Test(arguments: ["query", "industry", "size", "region"])
    func consumerAddressesAreRefusedInEveryField(_ field: String) {
        let body = field == "query" ? #"{"query":"write to Bob@GMail.com"}"# : #"{"query":"q","\#(field)":"x bob@yahoo.com"}"#
        expectRefusal(body, "Personal data is not accepted: \(field) holds a consumer e-mail address.")
    }

    @Test func businessAddressesAreText() throws {
        #expect(try validate(#"{"query":"sales@acme.example","industry":"it@corp.io"}"#).filters.industry == "it@corp.io")
    }

    @Test func messagesNeverQuoteTheInput() {
        let bodies = [
            #"{"query":"secret\u0001"}"#, #"{"query":"q","industry":"secret\n"}"#, #"{"query":"q","secret":1}"#,
            #"{"query":"secret@gmail.com"}"#, #"{"query":"q","limit":"secret"}"#,
        ]
        for body in bodies {
            do {
                _ = try validate(body)
                Issue.record("accepted \(body)")
            } catch let error as EnvelopeError {
                #expect(error.code == .invalidInput)
                #expect(!error.message.contains("secret") && !error.message.contains("gmail"))
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test func fieldsListsTheMembers() {
        #expect(ScoreRequest.fields == ["query", "industry", "size", "region", "limit"])
    }
}
