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
    public let headerFields: [HeaderField]
    /// A summary of each field's name (``nameKey(_:)``), in the order of `headerFields`: a lookup compares these
    /// plain numbers first and the names themselves only where they agree.
    private let headerNameKeys: [UInt32]
    /// The raw body bytes (base64-decoded when `isBase64Encoded`), or `nil` when the event has no body.
    public let body: [UInt8]?
    /// Whether the event carried the body base64-encoded (`isBase64Encoded`): then `body` holds the client's bytes
    /// exactly; otherwise API Gateway has already read them as UTF-8 text (see ``requireUTF8Body()``).
    public let bodyWasBase64Encoded: Bool
    /// `queryStringParameters` (REST v1 and HTTP v2 both send it; for repeated names, the last value).
    public let queryParameters: [String: String]

    /// A request made in code (tests, other transports).
    public init(
        method: String, path: String, headerFields: [HeaderField] = [], body: [UInt8]? = nil,
        bodyWasBase64Encoded: Bool = false, queryParameters: [String: String] = [:]
    ) {
        self.method = method
        self.path = path
        self.headerFields = headerFields
        headerNameKeys = headerFields.map { Self.nameKey($0.name) }
        self.body = body
        self.bodyWasBase64Encoded = bodyWasBase64Encoded
        self.queryParameters = queryParameters
    }

    /// Parses an event. Throws `HTTPEventError` when it is not an API Gateway or Function URL proxy event.
    ///
    /// The event is read in one pass (`JSONReader`), which checks all of it as `JSON.parse` with a nesting limit of
    /// 32 would, and keeps only the members below; where a member repeats, the last one counts (as a lookup in the
    /// parsed object would give), and a member of another type than expected is as good as absent.
    public init(event: [UInt8]) throws(HTTPEventError) {
        var members = EventMembers()
        let isObject: Bool
        do {
            isObject = try JSONReader.read(event, maxDepth: 32) { (event: inout JSONReader) throws(JSONError) in
                try event.readObject { (member: inout JSONReader) throws(JSONError) in try members.read(&member) }
            }
        } catch {
            throw HTTPEventError()
        }
        guard isObject else { throw HTTPEventError() }
        if let m = members.httpMethod {
            method = m.uppercased()
            path = members.path ?? "/"
        } else if let m = members.contextMethod {
            method = m.uppercased()
            path = Self.removingStage(members.stage, from: members.rawPath ?? "/")
        } else {
            throw HTTPEventError()
        }
        var fields: [HeaderField] = []
        swap(&fields, &members.headers)  // uniquely referenced: the fields from `multiValueHeaders` go in place
        fields.append(contentsOf: members.multiValueHeaders)
        headerFields = fields
        headerNameKeys = fields.map { Self.nameKey($0.name) }
        queryParameters = members.query
        if let text = members.body {
            if members.isBase64Encoded == true {
                guard let decoded = Base64.standard.decode(text) else { throw HTTPEventError() }
                body = decoded
                bodyWasBase64Encoded = true
            } else {
                body = text
                bodyWasBase64Encoded = false
            }
        } else {
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
        let key = Self.nameKey(name)
        var found: String?
        for i in headerNameKeys.indices where headerNameKeys[i] == key && headerFields[i].name.equalsIgnoringASCIICase(name) {
            let value = headerFields[i].value
            if let found, found != value { return .conflict }
            found = value
        }
        return found.map { .value($0) } ?? .absent
    }

    /// A name's UTF-8 length and its first and last bytes without ASCII case: equal for names equal without case,
    /// and different for most names that are not.
    static func nameKey(_ name: String) -> UInt32 {
        let utf8 = name.utf8
        // The last byte through the contiguous UTF-8 a native string has (`utf8.last` steps back through the view).
        guard let first = utf8.first, let last = utf8.withContiguousStorageIfAvailable({ $0.last }) ?? utf8.last else { return 0 }
        return UInt32(truncatingIfNeeded: utf8.count) << 16 | UInt32(first.asciiLowercased) << 8 | UInt32(last.asciiLowercased)
    }

    /// A header field (a struct, not a tuple: arrays of tuples copy and destroy their elements through the runtime's
    /// generic tuple witnesses).
    public struct HeaderField: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
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

/// The members of a proxy event that `HTTPRequest` uses, as the event's top-level object gives them.
private struct EventMembers {
    /// `httpMethod` (REST payload 1.0).
    var httpMethod: String?
    /// `path` (REST).
    var path: String?
    /// `rawPath` (payload 2.0).
    var rawPath: String?
    /// `requestContext.http.method` (payload 2.0).
    var contextMethod: String?
    /// `requestContext.stage`.
    var stage: String?
    /// The string members of `headers`, in order.
    var headers: [HTTPRequest.HeaderField] = []
    /// The string items of the arrays in `multiValueHeaders`, in order.
    var multiValueHeaders: [HTTPRequest.HeaderField] = []
    /// The string members of `queryStringParameters` (for a repeated name, the last). Made by `.init()`, not `[:]`:
    /// a size-optimised build makes an empty literal through `init(dictionaryLiteral:)`, which looks up the element
    /// tuple's metadata on every call.
    var query: [String: String] = .init()
    /// `body`, when a string: its UTF-8 bytes.
    var body: [UInt8]?
    var isBase64Encoded: Bool?

    /// The members read, in the order of `names`.
    private enum Member: Int {
        case httpMethod, path, rawPath, headers, multiValueHeaders, queryStringParameters, body, isBase64Encoded, requestContext
    }
    private static let names: KeyNames = [
        "httpMethod", "path", "rawPath", "headers", "multiValueHeaders", "queryStringParameters", "body", "isBase64Encoded",
        "requestContext",
    ]

    /// Reads one member of the event object (a later member of the same name replaces what an earlier one gave).
    mutating func read(_ member: inout JSONReader) throws(JSONError) {
        switch member.keyIndex(in: Self.names).flatMap(Member.init(rawValue:)) {
        case .httpMethod?:
            httpMethod = try member.readString()
        case .path?:
            path = try member.readString()
        case .rawPath?:
            rawPath = try member.readString()
        case .headers?:
            headers = []
            try member.readObject { (header: inout JSONReader) throws(JSONError) in
                if let value = try header.readString() {
                    if headers.isEmpty { headers.reserveCapacity(16) }  // room for the multi-value fields too
                    headers.append(HTTPRequest.HeaderField(name: header.key, value: value))
                }
            }
        case .multiValueHeaders?:
            multiValueHeaders = []
            try member.readObject { (header: inout JSONReader) throws(JSONError) in
                let name = header.key
                try header.readArray { (item: inout JSONReader) throws(JSONError) in
                    if let value = try item.readString() {
                        if multiValueHeaders.isEmpty { multiValueHeaders.reserveCapacity(8) }
                        multiValueHeaders.append(HTTPRequest.HeaderField(name: name, value: value))
                    }
                }
            }
        case .queryStringParameters?:
            query = .init()
            try member.readObject { (parameter: inout JSONReader) throws(JSONError) in
                if let value = try parameter.readString() { query[parameter.key] = value }
            }
        case .body?:
            body = try member.readStringBytes()
        case .isBase64Encoded?:
            isBase64Encoded = try member.readBool()
        case .requestContext?:
            contextMethod = nil
            stage = nil
            try member.readObject { (context: inout JSONReader) throws(JSONError) in
                if context.keyEquals("http") {
                    contextMethod = nil
                    try context.readObject { (http: inout JSONReader) throws(JSONError) in
                        if http.keyEquals("method") { contextMethod = try http.readString() }
                    }
                } else if context.keyEquals("stage") {
                    stage = try context.readString()
                }
            }
        case nil:
            break
        }
    }
}
