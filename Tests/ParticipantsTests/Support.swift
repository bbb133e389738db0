import Middleware
import Testing
import WardenJSON

/// A body as the routes see it after `RouteRequest.jsonBody` (depth 16, duplicate members refused).
func body(_ text: String) throws -> JSONObject {
    guard case .object(let object) = try JSON.parse(Array(text.utf8), options: JSONParseOptions(maxDepth: 16, rejectDuplicateKeys: true))
    else { throw JSONError(.typeMismatch) }
    return object
}

/// Expects `validate` to refuse with `INVALID_INPUT` and exactly `message`.
func expectRefusal(
    _ message: String, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation, _ validate: () throws -> Void
) {
    #expect(throws: EnvelopeError(.invalidInput, message), comment, sourceLocation: sourceLocation) { try validate() }
}
