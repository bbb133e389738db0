internal import Bytes
internal import WardenJSON

/// An HTTP request, whatever event carried it: an API Gateway REST API (payload 1.0), an HTTP API (payload 2.0) or a
/// Lambda Function URL (payload 2.0, buffered or streamed). Business code sees only this, never the proxy event.
public struct HTTPRequest: Sendable {
    /// Upper-case HTTP method.
    public let method: String
    /// Request path as the routes see it: v1 `path`; v2 `rawPath` without the stage segment an HTTP API puts in
    /// front of it for a named stage (`/prod/api/x` on stage `prod` → `/api/x`; the `$default` stage adds none).
    public let path: String
    /// Every header field as received, from `headers` and then `multiValueHeaders` (names in their original case;
    /// the same field usually appears in both).
    public let headerFields: [(name: String, value: String)]
    /// The raw body bytes (base64-decoded when `isBase64Encoded`), or `nil` when the event has no body.
    public let body: [UInt8]?
    /// Whether the event carried the body base64-encoded (`isBase64Encoded`): then `body` holds the client's bytes
    /// exactly; otherwise API Gateway has already read them as UTF-8 text (see ``requireUTF8Body()``).
    public let bodyWasBase64Encoded: Bool
    /// `queryStringParameters` (REST v1 and HTTP v2 both send it; for repeated names, the last value).
    public let queryParameters: [String: String]

    /// A request made in code (tests, other transports).
    public init(
        method: String, path: String, headerFields: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        bodyWasBase64Encoded: Bool = false, queryParameters: [String: String] = [:]
    ) {
        self.method = method
        self.path = path
        self.headerFields = headerFields
        self.body = body
        self.bodyWasBase64Encoded = bodyWasBase64Encoded
        self.queryParameters = queryParameters
    }

    /// Parses an event. Throws `HTTPEventError` when it is not an API Gateway or Function URL proxy event.
    public init(event: [UInt8]) throws(HTTPEventError) {
        let invalid = HTTPEventError()
        guard let root = try? JSON.parse(event, options: JSONParseOptions(maxDepth: 32)), let object = root.objectValue
        else { throw invalid }
        let context = object["requestContext"]
        if let m = object["httpMethod"]?.stringValue {
            method = m.uppercased()
            path = object["path"]?.stringValue ?? "/"
        } else if let m = context?["http"]?["method"]?.stringValue {
            method = m.uppercased()
            path = Self.removingStage(context?["stage"]?.stringValue, from: object["rawPath"]?.stringValue ?? "/")
        } else {
            throw invalid
        }
        var fields: [(name: String, value: String)] = []
        if let single = object["headers"]?.objectValue {
            for (name, value) in single {
                if let v = value.stringValue { fields.append((name, v)) }
            }
        }
        if let multi = object["multiValueHeaders"]?.objectValue {
            for (name, value) in multi {
                for item in value.arrayValue ?? [] {
                    if let v = item.stringValue { fields.append((name, v)) }
                }
            }
        }
        headerFields = fields
        var query: [String: String] = [:]
        for (name, value) in object["queryStringParameters"]?.objectValue ?? JSONObject() {
            if let v = value.stringValue { query[name] = v }
        }
        queryParameters = query
        switch object["body"] {
        case .string(let text)?:
            if object["isBase64Encoded"]?.boolValue == true {
                guard let decoded = Base64.standard.decode(text.utf8) else { throw invalid }
                body = decoded
                bodyWasBase64Encoded = true
            } else {
                body = Array(text.utf8)
                bodyWasBase64Encoded = false
            }
        default:
            body = nil
            bodyWasBase64Encoded = false
        }
    }

    /// Whether `bytes` are well-formed UTF-8 (and, with `refusingReplacementCharacter`, hold no U+FFFD).
    public static func isWellFormedUTF8(_ bytes: [UInt8], refusingReplacementCharacter: Bool) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if refusingReplacementCharacter, scalar.value == 0xFFFD { return false }
            case .emptyInput:
                return true
            case .error:
                return false
            }
        }
    }

    /// `rawPath` without a leading `/<stage>` segment (HTTP API payload 2.0 on a named stage).
    static func removingStage(_ stage: String?, from rawPath: String) -> String {
        guard let stage, !stage.isEmpty, stage != "$default" else { return rawPath }
        let prefix = "/" + stage
        guard rawPath.utf8.starts(with: prefix.utf8) else { return rawPath }
        let rest = rawPath.utf8.dropFirst(prefix.utf8.count)
        if rest.isEmpty { return "/" }
        guard rest.first == UInt8(ascii: "/") else { return rawPath }
        return String(decoding: rest, as: UTF8.self)
    }

    /// The single value of header `name` (given in lower case; matched case-insensitively). Several differing
    /// values make it ambiguous: `.conflict`.
    public func header(_ name: String) -> HeaderValue {
        var found: String?
        for field in headerFields where field.name.equalsIgnoringASCIICase(name) {
            if let found, found != field.value { return .conflict }
            found = field.value
        }
        return found.map { .value($0) } ?? .absent
    }

    /// The outcome of a header lookup.
    public enum HeaderValue: Equatable, Sendable {
        case absent
        case value(String)
        /// The header arrived several times with different values (a smuggling attempt or a broken proxy).
        case conflict

        /// The value, when there is exactly one.
        public var value: String? {
            if case .value(let v) = self { return v }
            return nil
        }
    }
}
