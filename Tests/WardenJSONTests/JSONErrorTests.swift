import Testing
import WardenJSON

@Suite("JSONError")
struct JSONErrorTests {
    @Test func descriptionNeverEchoesInput() throws {
        let secret = "hunter2-SECRET-token"
        let inputs = [
            #"{"password":"\#(secret)"#,  // unterminated
            #"{"password":"\#(secret)",}"#,  // trailing comma
            #"{"password":"\#(secret)\x"}"#,  // bad escape
            #"{"password":"\#(secret)"} \#(secret)"#,  // trailing data
            #"[\#(secret)]"#,  // invalid literal
            #"{"\#(secret)":1,"\#(secret)":2}"#,  // duplicate key
        ]
        for input in inputs {
            let error = try #require(parseError(Array(input.utf8), options: JSONParseOptions(rejectDuplicateKeys: true)))
            #expect(!error.description.contains("hunter2"), "\(error.code)")
            #expect(!error.description.contains("SECRET"), "\(error.code)")
            #expect(!String(describing: error).contains("password"))
        }
    }

    @Test func descriptionNamesTheProblemAndOffset() {
        let error = JSONError(.trailingData, offset: 12)
        #expect(error.description == "JSON error: unexpected data after the top-level value at byte offset 12")
        #expect(JSONError(.keyNotFound).description == "JSON error: key not found")
        #expect(JSONError(.keyNotFound).offset == nil)
    }

    @Test func everyCodeHasADistinctSummary() {
        let descriptions = JSONError.Code.allCases.map { JSONError($0).description }
        #expect(Set(descriptions).count == JSONError.Code.allCases.count)
        for description in descriptions {
            #expect(description.hasPrefix("JSON error: "))
            #expect(description.count > "JSON error: ".count + 3)
        }
    }

    @Test func parseThrowsTypedErrors() {
        // The parser's typed throws lets callers read the code without casting.
        do {
            _ = try JSON.parse("[1,]")
            Issue.record("expected an error")
        } catch {
            let code: JSONError.Code = error.code
            #expect(code == .invalidSyntax)
            #expect(error.offset == 3)
            #expect(error == JSONError(.invalidSyntax, offset: 3))
        }
    }
}
