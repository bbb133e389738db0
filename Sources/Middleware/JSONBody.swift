public import WardenJSON

/// The one parser of request bodies, for the copilot tools and the JSON APIs: strict JSON with a generous nesting
/// limit, and an `INVALID_INPUT` message that says what is wrong (echoing nothing from the input).
public enum JSONBody {
    /// Deepest nesting of arrays and objects accepted. Far beyond any real request (the copilot's are 2 deep), and
    /// about what Python's `json` module (the original tools) parses before its recursion limit.
    public static let maxNesting = 1000

    /// Parses `body` as one JSON object. `emptyMessage` is the message for a missing or empty body.
    public static func object(_ body: [UInt8]?, emptyMessage: String) throws(EnvelopeError) -> JSONObject {
        guard let body, !body.isEmpty else { throw EnvelopeError(.invalidInput, emptyMessage) }
        let root: JSON
        do {
            root = try JSON.parse(body, options: JSONParseOptions(maxDepth: maxNesting, rejectDuplicateKeys: true))
        } catch {
            throw EnvelopeError(.invalidInput, message(for: error.code))
        }
        guard let object = root.objectValue else { throw EnvelopeError(.invalidInput, "The request body must be a JSON object.") }
        return object
    }

    static func message(for code: JSONError.Code) -> String {
        switch code {
        case .tooDeep: "The request body nests arrays and objects deeper than \(maxNesting) levels."
        case .duplicateKey: "The request body repeats a member name within one object."
        case .invalidUTF8: "The request body is not valid UTF-8."
        case .numberOutOfRange: "The request body holds a number beyond the range of a 64-bit floating-point value."
        default: "The request body is not valid JSON."
        }
    }
}
