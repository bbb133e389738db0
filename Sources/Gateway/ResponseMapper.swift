import Bytes
import WardenJSON

/// A complete HTTP response the gateway sends.
public struct GatewayResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? { headers.first { $0.0.caseInsensitiveEquals(name) }?.1 }

    /// API Gateway's own JSON error replies.
    static func message(_ status: Int, _ text: String, errorType: String? = nil) -> GatewayResponse {
        var headers = [("Content-Type", "application/json")]
        if let errorType { headers.append(("x-amzn-ErrorType", errorType)) }
        return GatewayResponse(status: status, headers: headers, body: JSON.object(["message": .string(text)]).serialized())
    }

    // REST API (API Gateway v1) replies.
    static let restMissingToken = message(403, "Missing Authentication Token", errorType: "MissingAuthenticationTokenException")
    static let restInternalError = message(502, "Internal server error", errorType: "InternalServerErrorException")
    static let restTimeout = message(504, "Endpoint request timed out")
    static let restTooLarge = message(413, "Request Too Long")
    /// Lambda refused the invoke itself (throttled, a tenant id missing or not allowed): API Gateway answers 500
    /// (https://repost.aws/knowledge-center/api-gateway-internal-server-error, "Throttling issues").
    static let restInvokeFailed = message(500, "Internal server error", errorType: "InternalServerErrorException")

    /// Request validation refused a request without its required parameters
    /// (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html).
    static func restMissingParameters(_ names: [String]) -> GatewayResponse {
        message(400, "Missing required request parameters: [\(names.joined(separator: ", "))]", errorType: "BadRequestException")
    }
    // HTTP API (API Gateway v2) replies.
    static let httpNotFound = message(404, "Not Found")
    static let httpInternalError = message(500, "Internal Server Error")
    static let httpTimeout = message(504, "Gateway Timeout")
    static let httpTooLarge = message(413, "Request Entity Too Large")
    // Function URL replies.
    static let urlInternalError = GatewayResponse(
        status: 502, headers: [("Content-Type", "application/json")],
        body: JSON.object(["Message": "Internal Server Error"]).serialized()
    )
    static let urlTooLarge = GatewayResponse(
        status: 413, headers: [("Content-Type", "application/json")],
        body: JSON.object(["Message": "Request must be smaller than 6291456 bytes for the InvokeFunction operation"]).serialized()
    )
}

/// Turns a function's proxy response into the HTTP response API Gateway (or a Function URL) sends, or nil when the
/// response is malformed (the caller answers the integration error).
enum ResponseMapper {
    /// A proxy response's base64 body as the gateway reads it: padding required (the length a multiple of 4), no
    /// whitespace, and the unused low bits of the last character ignored (`QR==` reads like `QQ==`).
    static let base64Body = Base64(alphabet: .standard, padding: .required, unusedBits: .ignored)

    /// Response headers API Gateway computes itself.
    static let dropped: Set<String> = ["content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "trailer", "te"]

    /// A header value: strings as they are, numbers as written, `true`/`false`, `null` as empty.
    private static func headerText(_ json: VerbatimJSON) -> String? {
        switch json.value {
        case .string(let text): return text
        case .int, .double: return json.numberText
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return ""
        case .array, .object: return nil
        }
    }

    private static func flag(_ json: VerbatimJSON?) -> Bool? {
        switch json?.value {
        case nil, .null?: return false
        case .bool(let flag)?: return flag
        case .string(let text)?:
            if text.lowercased() == "true" { return true }
            if text.lowercased() == "false" { return false }
            return nil
        default: return nil
        }
    }

    private static func statusCode(_ json: VerbatimJSON?) -> Int? {
        guard let json else { return nil }
        let code: Int?
        switch json.value {
        case .int, .double: code = json.intValue
        case .string(let text): code = Int(text)
        default: code = nil
        }
        guard let code, (100...599).contains(code) else { return nil }
        return code
    }

    /// Payload 1.0 (REST API, or HTTP API with `PayloadFormatVersion: '1.0'`): an object with an integer `statusCode`,
    /// optional `headers` (single values) and `multiValueHeaders` (lists) merged as API Gateway does (a pair in both
    /// appears once), a string `body`, `isBase64Encoded`. A REST API refuses unknown fields. Base64 bodies are decoded by
    /// a REST API only when the request's first `Accept` type is one of its `BinaryMediaTypes` (or those hold `*/*`); an
    /// HTTP API always decodes them.
    static func version1(_ raw: [UInt8], request: GatewayRequest, api: APIDefinition) -> GatewayResponse? {
        guard let root = VerbatimJSON.parse(raw), let object = root.value.objectValue else { return nil }
        if api.kind == .rest {
            let allowed: Set<String> = ["statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "base64Encoded", "cookies"]
            if object.contains(where: { !allowed.contains($0.key) }) { return nil }
        }
        guard let status = statusCode(root["statusCode"]) else { return nil }
        var headers: [(String, String)] = []
        if let multi = root["multiValueHeaders"], !multi.value.isNull {
            guard let pairs = multi.members else { return nil }
            for (name, values) in pairs {
                guard let items = values.items else {
                    if values.value.isNull { continue }
                    return nil
                }
                for item in items {
                    guard let text = headerText(item) else { return nil }
                    headers.append((name, text))
                }
            }
        }
        if let single = root["headers"], !single.value.isNull {
            guard let pairs = single.members else { return nil }
            for (name, value) in pairs {
                guard let text = headerText(value) else { return nil }
                if headers.contains(where: { $0.0.caseInsensitiveEquals(name) && $0.1 == text }) { continue }
                headers.append((name, text))
            }
        }
        headers.removeAll { dropped.contains($0.0.asciiLowercased) }
        var body: [UInt8] = []
        switch root["body"]?.value {
        case nil, .null?: break
        case .string(let text)?: body = Array(text.utf8)
        default: return nil
        }
        let encodedField = api.kind == .rest && root["base64Encoded"] != nil ? root["base64Encoded"] : root["isBase64Encoded"]
        guard let encoded = flag(encodedField) else { return nil }
        if encoded && !body.isEmpty {
            let decode = api.kind == .http || restWantsBinary(request: request, api: api)
            if decode {
                guard let bytes = base64Body.decode(body) else { return nil }
                body = bytes
            }
        }
        if !headers.contains(where: { $0.0.caseInsensitiveEquals("content-type") }) {
            headers.append(("Content-Type", "application/json"))
        }
        return GatewayResponse(status: status, headers: headers, body: body)
    }

    static func restWantsBinary(request: GatewayRequest, api: APIDefinition) -> Bool {
        if api.binaryMediaTypes.contains("*/*") { return true }
        guard let accept = request.header("accept") else { return false }
        let first = MediaType.essence(String(accept.split(separator: ",", maxSplits: 1).first ?? ""))
        return api.binaryMediaTypes.contains { MediaType.matches(first, pattern: $0) }
    }

    /// Payload 2.0 (HTTP API, Function URL). Valid JSON without a `statusCode` (any value, an object without one
    /// included) is inferred as `200`, `content-type: application/json`, the response as the body. Otherwise
    /// `statusCode`, `headers` (single values), `cookies` (each a `Set-Cookie`), `body`, `isBase64Encoded` (always
    /// decoded); `multiValueHeaders` has no meaning in 2.0 and is ignored. Not JSON at all → nil.
    static func version2(_ raw: [UInt8]) -> GatewayResponse? {
        guard let root = VerbatimJSON.parse(raw) else { return nil }
        guard root.value.objectValue != nil, let statusValue = root["statusCode"] else {
            return GatewayResponse(status: 200, headers: [("content-type", "application/json")], body: trimmed(raw))
        }
        guard let status = statusCode(statusValue) else { return nil }
        var headers: [(String, String)] = []
        if let single = root["headers"], !single.value.isNull {
            guard let pairs = single.members else { return nil }
            for (name, value) in pairs {
                guard let text = headerText(value) else { return nil }
                headers.append((name, text))
            }
        }
        headers.removeAll { dropped.contains($0.0.asciiLowercased) }
        if let cookies = root["cookies"]?.value, !cookies.isNull {
            guard let items = cookies.arrayValue else { return nil }
            for item in items {
                guard let text = item.stringValue else { return nil }
                headers.append(("Set-Cookie", text))
            }
        }
        var body: [UInt8] = []
        if let json = root["body"] {
            switch json.value {
            case .null: break
            case .string(let text): body = Array(text.utf8)
            default: body = json.serialized()
            }
        }
        guard let encoded = flag(root["isBase64Encoded"]) else { return nil }
        if encoded && !body.isEmpty {
            guard let bytes = base64Body.decode(body) else { return nil }
            body = bytes
        }
        if !headers.contains(where: { $0.0.caseInsensitiveEquals("content-type") }) {
            headers.append(("content-type", "application/json"))
        }
        return GatewayResponse(status: status, headers: headers, body: body)
    }

    /// The response text without surrounding JSON whitespace.
    private static func trimmed(_ raw: [UInt8]) -> [UInt8] {
        var start = 0
        var end = raw.count
        let space: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        while start < end, space.contains(raw[start]) { start += 1 }
        while end > start, space.contains(raw[end - 1]) { end -= 1 }
        return Array(raw[start..<end])
    }
}
