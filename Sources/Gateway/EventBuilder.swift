import Bytes
import Foundation
import WardenJSON

/// Per-request values shared by every event shape.
struct RequestStamp: Sendable {
    var requestID: String
    var extendedRequestID: String
    var traceID: String
    /// Milliseconds since the epoch.
    var epochMilliseconds: Int64
    var region: String
    var accountID: String

    static func now(region: String, accountID: String) -> RequestStamp {
        let millis = Int64(Date().timeIntervalSince1970 * 1000)
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        let extended = String((0..<15).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }) + "="
        let random = Hex.encode((0..<12).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        let seconds = String(UInt64(millis / 1000), radix: 16)
        return RequestStamp(
            requestID: UUID().uuidString.lowercased(), extendedRequestID: extended,
            traceID: "Root=1-\(seconds)-\(random)", epochMilliseconds: millis, region: region, accountID: accountID
        )
    }

    /// `12/Mar/2020:19:03:58 +0000`, the format of `requestTime` / `time`.
    var clfTime: String {
        var seconds = time_t(epochMilliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(parts.tm_mday))/\(months[Int(parts.tm_mon)])/\(parts.tm_year + 1900):\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) +0000"
    }
}

/// Builds the events API Gateway and Lambda Function URLs send to a function, field by field as they do (see
/// README "warden gateway" for the sources and the few deliberate local differences).
enum EventBuilder {
    /// Request headers that never reach an integration (hop-by-hop, consumed by the front door).
    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade", "trailer", "expect"]

    /// The host name of the `Host` header (no port), used as `domainName`.
    static func host(_ request: GatewayRequest) -> String? {
        guard let value = request.header("host"), !value.isEmpty else { return nil }
        if value.hasPrefix("[") { return value.firstIndex(of: "]").map { String(value[...$0]) } ?? value }
        return String(value.split(separator: ":", maxSplits: 1).first ?? "")
    }

    /// The first label of a host name, or `fallback` for an IP address.
    static func domainPrefix(_ host: String, fallback: String) -> String {
        let isAddress = host.hasPrefix("[") || host.allSatisfy { $0.isNumber || $0 == "." }
        if isAddress { return fallback }
        return String(host.split(separator: ".").first ?? Substring(fallback))
    }

    /// The client's headers plus what the front door adds: `X-Forwarded-For` (the client's address appended),
    /// `X-Forwarded-Port`, `X-Forwarded-Proto` and `X-Amzn-Trace-Id`.
    static func forwardedHeaders(_ request: GatewayRequest, stamp: RequestStamp) -> [(String, String)] {
        var headers: [(String, String)] = []
        var forwardedFor: String?
        for (name, value) in request.headers {
            let lower = name.asciiLowercased
            if hopByHop.contains(lower) { continue }
            if lower == "x-forwarded-for" {
                forwardedFor = forwardedFor.map { "\($0), \(value)" } ?? value
                continue
            }
            if lower == "x-forwarded-port" || lower == "x-forwarded-proto" || lower == "x-amzn-trace-id" { continue }
            headers.append((name, value))
        }
        headers.append(("X-Amzn-Trace-Id", stamp.traceID))
        headers.append(("X-Forwarded-For", forwardedFor.map { "\($0), \(request.sourceIP)" } ?? request.sourceIP))
        headers.append(("X-Forwarded-Port", String(request.port)))
        headers.append(("X-Forwarded-Proto", "http"))
        return headers
    }

    // MARK: payload 1.0

    /// REST API (and HTTP API payload 1.0) proxy event. `headers` / `queryStringParameters` keep the last value of a
    /// repeated name, the `multiValue…` maps all of them; empty maps are `null`; `path` is as received (percent-encoded)
    /// and `requestContext.path` has the stage in front; path parameters are decoded; the body is base64 when its
    /// `Content-Type` is one of the API's `BinaryMediaTypes` (REST) — for an HTTP API, when it is not text — and
    /// otherwise UTF-8 text with invalid bytes replaced (``text(_:)``).
    static func version1(_ request: GatewayRequest, match: RouteMatch, stamp: RequestStamp) -> JSON {
        let api = match.api
        let headers = forwardedHeaders(request, stamp: stamp)
        var single: [(String, String)] = []
        var multi: [(String, [String])] = []
        for (name, value) in headers {
            if let index = single.firstIndex(where: { $0.0.caseInsensitiveEquals(name) }) {
                single[index].1 = value
                multi[index].1.append(value)
            } else {
                single.append((name, value))
                multi.append((name, [value]))
            }
        }
        var querySingle: [(String, String)] = []
        var queryMulti: [(String, [String])] = []
        for (name, value) in request.queryParameters {
            if let index = querySingle.firstIndex(where: { $0.0 == name }) {
                querySingle[index].1 = value
                queryMulti[index].1.append(value)
            } else {
                querySingle.append((name, value))
                queryMulti.append((name, [value]))
            }
        }
        let body: JSON
        let encoded: Bool
        if request.body.isEmpty {
            body = .null
            encoded = false
        } else if api.kind == .rest ? isBinaryForREST(request, api) : !MediaType.isTextForHTTPAPI(request.mediaType) {
            body = .string(Base64.standard.encode(request.body))
            encoded = true
        } else {
            body = .string(text(request.body))
            encoded = false
        }
        let host = host(request) ?? "\(api.apiID).execute-api.\(stamp.region).amazonaws.com"
        let stagePath = api.hasNamedStage ? "/\(api.stageName)\(match.pathWithoutStage)" : match.pathWithoutStage
        let userAgent = request.header("user-agent")
        let identity: JSON = .members([
            ("cognitoIdentityPoolId", .null), ("accountId", .null), ("cognitoIdentityId", .null), ("caller", .null),
            ("sourceIp", .string(request.sourceIP)), ("principalOrgId", .null), ("accessKey", .null),
            ("cognitoAuthenticationType", .null), ("cognitoAuthenticationProvider", .null), ("userArn", .null),
            ("userAgent", userAgent.map(JSON.string) ?? .null), ("user", .null),
        ])
        let context: JSON = .members([
            ("resourceId", .string(Identifiers.derive(api.apiID + match.route.routeKey, length: 6))),
            ("resourcePath", .string(match.route.path)),
            ("httpMethod", .string(request.method)),
            ("extendedRequestId", .string(stamp.extendedRequestID)),
            ("requestTime", .string(stamp.clfTime)),
            ("path", .string(stagePath)),
            ("accountId", .string(stamp.accountID)),
            ("protocol", .string(request.protocolName)),
            ("stage", .string(api.stageName)),
            ("domainPrefix", .string(domainPrefix(host, fallback: api.apiID))),
            ("requestTimeEpoch", .int(stamp.epochMilliseconds)),
            ("requestId", .string(stamp.requestID)),
            ("identity", identity),
            ("domainName", .string(host)),
            ("apiId", .string(api.apiID)),
        ])
        var members: [(String, JSON)] = []
        if api.kind == .http { members.append(("version", .string("1.0"))) }
        members += [
            ("resource", .string(match.route.path)),
            ("path", .string(match.pathWithoutStage)),
            ("httpMethod", .string(request.method)),
            ("headers", single.isEmpty ? .null : .strings(single)),
            ("multiValueHeaders", multi.isEmpty ? .null : .members(multi.map { ($0.0, .array($0.1.map(JSON.string))) })),
            ("queryStringParameters", querySingle.isEmpty ? .null : .strings(querySingle)),
            (
                "multiValueQueryStringParameters",
                queryMulti.isEmpty ? .null : .members(queryMulti.map { ($0.0, .array($0.1.map(JSON.string))) })
            ),
            ("pathParameters", match.pathParameters.isEmpty ? .null : .strings(match.pathParameters)),
            ("stageVariables", api.stageVariables.isEmpty ? .null : .strings(api.stageVariables)),
            ("requestContext", context),
            ("body", body),
            ("isBase64Encoded", .bool(encoded)),
        ]
        return .members(members)
    }

    /// A body passed as text: read as UTF-8 with each ill-formed sequence (a byte that never occurs, an overlong
    /// form, an encoded surrogate, a value above U+10FFFF, a truncated sequence) replaced by U+FFFD, as API Gateway
    /// does — the function gets valid UTF-8 and cannot recover the original bytes. The replacement follows Unicode's
    /// "maximal subpart" practice (`b"\xe2\x82"` is one U+FFFD, `b"\xc0\xaf"` two), as Python's
    /// `decode("utf-8", "replace")` does; AWS documents no granularity, so a function must only rely on U+FFFD
    /// being there (the middleware refuses such bodies: `HTTPRequest.requireUTF8Body`). Only a binary media
    /// type (REST) or a non-text content type (HTTP API, Function URL) delivers the exact bytes, base64-encoded.
    static func text(_ body: [UInt8]) -> String {
        String(decoding: body, as: UTF8.self)
    }

    static func isBinaryForREST(_ request: GatewayRequest, _ api: APIDefinition) -> Bool {
        guard let type = request.mediaType else { return api.binaryMediaTypes.contains("*/*") }
        return api.binaryMediaTypes.contains { MediaType.matches(type, pattern: $0) }
    }

    // MARK: payload 2.0

    /// Headers lower-cased with repeated ones joined by commas, `Cookie` moved to `cookies`, query parameters joined by
    /// commas, and the body base64-encoded unless its type is text (then read as UTF-8, invalid bytes replaced:
    /// ``text(_:)``).
    private static func version2Parts(_ request: GatewayRequest, stamp: RequestStamp)
        -> (headers: JSON, cookies: [String], query: [(String, String)], body: JSON?, encoded: Bool)
    {
        var joined: [(String, String)] = []
        var cookies: [String] = []
        for (name, value) in forwardedHeaders(request, stamp: stamp) {
            let lower = name.asciiLowercased
            if lower == "cookie" {
                cookies += value.split(separator: ";").map { $0.trimmingASCIIWhitespace() }.filter { !$0.isEmpty }
                continue
            }
            if let index = joined.firstIndex(where: { $0.0 == lower }) {
                joined[index].1 += "," + value
            } else {
                joined.append((lower, value))
            }
        }
        var query: [(String, String)] = []
        for (name, value) in request.queryParameters {
            if let index = query.firstIndex(where: { $0.0 == name }) {
                query[index].1 += "," + value
            } else {
                query.append((name, value))
            }
        }
        if request.body.isEmpty {
            return (.strings(joined), cookies, query, nil, false)
        }
        let text = MediaType.isTextForHTTPAPI(request.mediaType)
        let body: JSON = .string(text ? Self.text(request.body) : Base64.standard.encode(request.body))
        return (.strings(joined), cookies, query, body, !text)
    }

    private static func http(_ request: GatewayRequest, path: String) -> JSON {
        .members([
            ("method", .string(request.method)),
            ("path", .string(path)),
            ("protocol", .string(request.protocolName)),
            ("sourceIp", .string(request.sourceIP)),
            ("userAgent", .string(request.header("user-agent") ?? "")),
        ])
    }

    private static func assemble(
        routeKey: String, rawPath: String, request: GatewayRequest, parts: (headers: JSON, cookies: [String], query: [(String, String)], body: JSON?, encoded: Bool),
        pathParameters: [(String, String)], stageVariables: [(String, String)], context: JSON
    ) -> JSON {
        var members: [(String, JSON)] = [
            ("version", .string("2.0")),
            ("routeKey", .string(routeKey)),
            ("rawPath", .string(rawPath)),
            ("rawQueryString", .string(request.rawQuery)),
        ]
        if !parts.cookies.isEmpty { members.append(("cookies", .array(parts.cookies.map(JSON.string)))) }
        members.append(("headers", parts.headers))
        if !parts.query.isEmpty { members.append(("queryStringParameters", .strings(parts.query))) }
        if !pathParameters.isEmpty { members.append(("pathParameters", .strings(pathParameters))) }
        if !stageVariables.isEmpty { members.append(("stageVariables", .strings(stageVariables))) }
        members.append(("requestContext", context))
        if let body = parts.body { members.append(("body", body)) }
        members.append(("isBase64Encoded", .bool(parts.encoded)))
        return .members(members)
    }

    /// HTTP API payload 2.0. `rawPath` (and `requestContext.http.path`) carry the stage for a named stage, as AWS
    /// sends them (`/prod/api/participants`), and are percent-decoded as an HTTP API delivers them.
    static func version2(_ request: GatewayRequest, match: RouteMatch, stamp: RequestStamp) -> JSON {
        let api = match.api
        let decoded = PercentEncoding.decode(match.pathWithoutStage)
        let rawPath = api.hasNamedStage ? "/\(api.stageName)\(decoded == "/" ? "" : decoded)" : decoded
        let host = host(request) ?? "\(api.apiID).execute-api.\(stamp.region).amazonaws.com"
        let context: JSON = .members([
            ("accountId", .string(stamp.accountID)),
            ("apiId", .string(api.apiID)),
            ("domainName", .string(host)),
            ("domainPrefix", .string(domainPrefix(host, fallback: api.apiID))),
            ("http", http(request, path: rawPath)),
            ("requestId", .string(stamp.requestID)),
            ("routeKey", .string(match.route.routeKey)),
            ("stage", .string(api.stageName)),
            ("time", .string(stamp.clfTime)),
            ("timeEpoch", .int(stamp.epochMilliseconds)),
        ])
        return assemble(
            routeKey: match.route.routeKey, rawPath: rawPath, request: request, parts: version2Parts(request, stamp: stamp),
            pathParameters: match.pathParameters, stageVariables: api.stageVariables, context: context
        )
    }

    /// A Function URL event: payload 2.0 with `routeKey` and `stage` `$default`, the whole path (as received), no
    /// path parameters or stage variables, and `accountId` `anonymous` for `AuthType: NONE`.
    static func functionURL(_ request: GatewayRequest, url: FunctionURLDefinition, stamp: RequestStamp) -> JSON {
        let context: JSON = .members([
            ("accountId", .string(url.authType == "NONE" ? "anonymous" : stamp.accountID)),
            ("apiId", .string(url.urlID)),
            ("domainName", .string("\(url.urlID).lambda-url.\(stamp.region).on.aws")),
            ("domainPrefix", .string(url.urlID)),
            ("http", http(request, path: request.rawPath)),
            ("requestId", .string(stamp.requestID)),
            ("routeKey", .string("$default")),
            ("stage", .string("$default")),
            ("time", .string(stamp.clfTime)),
            ("timeEpoch", .int(stamp.epochMilliseconds)),
        ])
        return assemble(
            routeKey: "$default", rawPath: request.rawPath, request: request, parts: version2Parts(request, stamp: stamp),
            pathParameters: [], stageVariables: [], context: context
        )
    }
}

extension JSON {
    /// An object with these members in this order (a repeated name is kept).
    fileprivate static func members(_ pairs: [(String, JSON)]) -> JSON { .object(JSONObject(pairs)) }

    /// An object of string values, in this order.
    fileprivate static func strings(_ pairs: [(String, String)]) -> JSON { members(pairs.map { ($0.0, .string($0.1)) }) }
}
