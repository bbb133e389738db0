internal import Bytes
internal import Copilot
internal import FuzzSupport
internal import LambdaHTTP
internal import LambdaRuntime
internal import Logging
internal import Middleware
internal import Postgres
internal import WardenCrypto
internal import WardenJSON

/// API Gateway event decoding and the copilot tools' pipeline up to (not including) the database.
///
/// The input is an event as Lambda delivers it (REST payload 1.0, HTTP API payload 2.0, or anything else). Each input
/// runs twice through a real `Pipeline` of the copilot tools' middlewares (`EnvelopeMiddleware` → `OriginMiddleware`
/// → `RequestShapeMiddleware` → the HMAC check at a fixed clock → `CopilotRequestMiddleware` → the rendered proxy
/// response): as received, and re-signed with the target's secret for its own `X-Timestamp`, `X-Client` and body, so
/// the fuzzer gets past the signature to the body validation.
///
/// Invariants beyond "no crash": an event is refused exactly when the tree-based decoding (`JSON.parse`) refuses it;
/// a decoded event re-serialized decodes to the same request; base64 bodies round-trip;
/// header lookups agree with a plain reference; every outcome is one of the chain's documented errors and renders a
/// proxy response whose status matches; a re-signed request verifies exactly when its timestamp and client are valid.
enum EventFuzz {
    static let nowMilliseconds: Int64 = 1_700_000_000_000
    static let secret = Array("fuzz-hmac-secret-0123456789abcdef".utf8)
    static let verifier = HMACVerification(secret: secret)
    static let cors = CORSPolicy(allowedOrigins: ["http://localhost:3000", "https://copilot.example.com"])
    /// Small, so the fuzzer reaches the `413` branch.
    static let maxBodyBytes = 2048
    static let eventOptions = JSONParseOptions(maxDepth: 32)

    static func run(_ input: [UInt8]) {
        chain(input, signedByHarness: false)
        guard let request = decode(input) else { return }
        if let resigned = resign(input, request) {
            chain(resigned, signedByHarness: true)
        }
    }

    // MARK: Decoding

    /// `HTTPRequest(event:)` and its invariants; `nil` when the event is refused.
    static func decode(_ input: [UInt8]) -> HTTPRequest? {
        let request: HTTPRequest
        do {
            request = try HTTPRequest(event: input)
        } catch {
            Fuzz.check(!treeAccepts(input), "an event the tree-based decoding accepts was refused")
            return nil
        }
        guard case .object(let root)? = try? JSON.parse(input, options: eventOptions) else {
            Fuzz.check(false, "a decoded event is not a JSON object to the parser")
            return nil
        }
        Fuzz.check(!request.method.utf8.contains { $0 >= 0x61 && $0 <= 0x7A }, "method not upper-cased")
        checkBody(request, root)
        checkHeaders(request, root)
        if root["httpMethod"]?.stringValue == nil {
            let raw = root["rawPath"]?.stringValue ?? "/"
            Fuzz.check(request.path == "/" || raw.utf8.reversed().starts(with: request.path.utf8.reversed()),
                       "v2 path is not a suffix of rawPath")
        }
        // Round trip: the event re-serialized by our writer decodes to the same request.
        guard let again = try? HTTPRequest(event: JSON.object(root).serialized()) else {
            Fuzz.check(false, "re-serialized event refused")
            return nil
        }
        Fuzz.check(same(request, again), "re-serialized event decodes differently")
        return request
    }

    /// Whether the tree-based decoding `HTTPRequest(event:)` did before its one-pass reader accepted `input`: a JSON
    /// object (at most 32 levels deep) with a string `httpMethod` or `requestContext.http.method` (the last of a
    /// repeated member counting) and, when `isBase64Encoded` is `true` and `body` a string, a body that decodes.
    static func treeAccepts(_ input: [UInt8]) -> Bool {
        guard case .object(let root)? = try? JSON.parse(input, options: eventOptions) else { return false }
        guard root["httpMethod"]?.stringValue != nil || root["requestContext"]?["http"]?["method"]?.stringValue != nil else {
            return false
        }
        if case .string(let text)? = root["body"], root["isBase64Encoded"]?.boolValue == true {
            return Base64.standard.decode(text.utf8) != nil
        }
        return true
    }

    /// The body: the string as UTF-8, or base64-decoded (strict, canonical up to padding) when `isBase64Encoded`.
    static func checkBody(_ request: HTTPRequest, _ root: JSONObject) {
        guard case .string(let text)? = root["body"] else {
            Fuzz.check(request.body == nil, "body without a string body member")
            return
        }
        guard let body = request.body else {
            Fuzz.check(false, "string body lost")
            return
        }
        if root["isBase64Encoded"]?.boolValue == true {
            let encoded = Base64.standard.encode(body)
            let unpadded = String(decoding: encoded.utf8.prefix { $0 != UInt8(ascii: "=") }, as: UTF8.self)
            Fuzz.check(text == encoded || text == unpadded, "base64 body is not the canonical encoding of its bytes")
            Fuzz.check(Base64.standard.decode(encoded) == body, "base64 body does not round-trip")
        } else {
            Fuzz.check(body == Array(text.utf8), "text body altered")
        }
    }

    /// Header fields are the string members of `headers` then the string items of `multiValueHeaders`, and
    /// `header(_:)` agrees with a plain case-folding reference.
    static func checkHeaders(_ request: HTTPRequest, _ root: JSONObject) {
        var expected: [(String, String)] = []
        for (name, value) in root["headers"]?.objectValue ?? JSONObject() {
            if let v = value.stringValue { expected.append((name, v)) }
        }
        for (name, value) in root["multiValueHeaders"]?.objectValue ?? JSONObject() {
            for item in value.arrayValue ?? [] {
                if let v = item.stringValue { expected.append((name, v)) }
            }
        }
        Fuzz.check(expected.count == request.headerFields.count, "header field count")
        for (a, b) in zip(expected, request.headerFields) {
            Fuzz.check(a.0 == b.name && a.1 == b.value, "header field differs")
        }
        for name in Set(expected.map { fold($0.0) }).prefix(16) {
            var values: [String] = []
            for (n, v) in expected where fold(n) == name { values.append(v) }
            let reference: HTTPRequest.HeaderValue =
                values.isEmpty ? .absent : values.allSatisfy({ $0 == values[0] }) ? .value(values[0]) : .conflict
            Fuzz.check(request.header(name) == reference, "header lookup disagrees with the reference")
        }
    }

    /// ASCII lower case (other bytes unchanged), as header names compare.
    static func fold(_ name: String) -> String {
        String(decoding: name.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    static func same(_ a: HTTPRequest, _ b: HTTPRequest) -> Bool {
        a.method == b.method && a.path == b.path && a.body == b.body && a.queryParameters == b.queryParameters
            && a.headerFields.count == b.headerFields.count
            && zip(a.headerFields, b.headerFields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    // MARK: The copilot pipeline

    /// The copilot tools' middlewares up to the tool's first statement (`CopilotTool.pipeline` without the database
    /// ones), with the signature checked at the harness's fixed clock.
    static func pipeline() -> Pipeline {
        Pipeline(
            [
                EnvelopeMiddleware(failureMessage: "tool failure"),
                OriginMiddleware(cors: cors),
                RequestShapeMiddleware(method: "POST", maxBodyBytes: maxBodyBytes),
                FixedClockSignature(),
                CopilotRequestMiddleware(),
            ],
            responder: CheckingResponder(), database: nil
        )
    }
    static let logger = Logger(label: "fuzz-event") { _ in SwiftLogNoOpLogHandler() }

    /// Checks the signature as `HMACAuthenticationMiddleware` does, at `nowMilliseconds`.
    final class FixedClockSignature: RequestMiddleware {
        func handle(_ request: HTTPRequest, context: inout RequestContext, next: MiddlewareNext) throws -> HTTPResponse {
            current?.reachedSignature = true
            let verified = try verifier.verify(request, nowMilliseconds: nowMilliseconds)
            checkVerified(verified, request)
            context.client = verified
            return try next(request, &context)
        }
    }

    /// Checks what got through and answers it as a tool would.
    final class CheckingResponder: Responder {
        func respond(to request: HTTPRequest, context: inout RequestContext) throws -> HTTPResponse {
            Fuzz.check(request.method == "POST", "\(request.method) past the request shape")
            let input = try context.input(as: CopilotRequest.self)
            checkInput(input, request)
            Fuzz.check(context.tenant == input.tenant, "the tenant is not the request's owner")
            return .success(data: ["customerId": .string(input.customerId), "tenant": .string(input.tenant.rawValue)], headers: context.responseHeaders)
        }
    }

    /// What one run through the pipeline saw.
    struct Run {
        var reachedSignature = false
    }
    nonisolated(unsafe) static var current: Run?

    /// Runs the event through the pipeline; every answer is a proxy response with an allowed status and envelope.
    static func chain(_ event: [UInt8], signedByHarness: Bool) {
        current = Run()
        defer { current = nil }
        let context = LambdaContext(requestID: "fuzz", deadlineMilliseconds: .max, invokedFunctionARN: "arn:fuzz", logger: logger)
        var handler = pipeline()
        guard let answer = try? handler.handle(event, context: context),
            case .object(let out)? = try? JSON.parse(answer), let status = out["statusCode"]?.int64Value
        else {
            Fuzz.check(false, "the pipeline's answer is not a proxy response")
            return
        }
        checkRendered(answer, status: Int(status))
        guard status != 204, status != 200 else { return }
        guard let text = out["body"]?.stringValue, case .object(let body)? = try? JSON.parse(Array(text.utf8)),
            let code = body["error"]?["code"]?.stringValue
        else {
            Fuzz.check(false, "a refusal without an error envelope")
            return
        }
        let allowed: Set<String> = [
            "METHOD_NOT_ALLOWED", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "UNAUTHORIZED", "INVALID_INPUT", "FORBIDDEN",
        ]
        Fuzz.check(allowed.contains(code), "the pipeline refused with \(code)")
        if signedByHarness, current?.reachedSignature == true, code == "UNAUTHORIZED", let request = try? HTTPRequest(event: event) {
            Fuzz.check(!validV1Headers(request), "a correctly signed request was refused")
        }
    }

    /// A verified request's client is a valid one, and the replay key is the signature that matched.
    static func checkVerified(_ verified: VerifiedRequest, _ request: HTTPRequest) {
        Fuzz.check(request.header("x-client") == .value(verified.clientID), "verified client is not the X-Client header")
        Fuzz.check(validV1Headers(request) || verified.scheme == .v2, "verified with an invalid timestamp or client")
        if verified.scheme == .v1, let signature = request.header("x-signature").value, let timestamp = request.header("x-timestamp").value {
            let expected = Crypto.hmacSHA256(
                key: secret, message: Array(timestamp.utf8) + [0x2E] + Array(verified.clientID.utf8) + [0x2E] + (request.body ?? []))
            Fuzz.check(fold(signature) == Hex.encode(expected), "v1 verified with a signature that is not the MAC")
            Fuzz.check(verified.replayKey(function: "f") == "v1:f:" + Hex.encode(expected), "v1 replay key")
        }
    }

    /// What `HMACVerification` requires of the timestamp and client, written out independently.
    static func validV1Headers(_ request: HTTPRequest) -> Bool {
        guard case .value(let timestamp) = request.header("x-timestamp"), case .value(let client) = request.header("x-client"),
            case .value = request.header("x-signature")
        else { return false }
        let digits = timestamp.utf8
        guard (1...16).contains(digits.count), digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let ms = Int64(timestamp) else {
            return false
        }
        guard abs(ms - nowMilliseconds) <= 300_000 else { return false }
        return (1...128).contains(client.utf8.count) && client.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// A validated copilot body: a usable customer id, and the tenant its `ownerUserId` names.
    static func checkInput(_ input: CopilotRequest, _ request: HTTPRequest) {
        Fuzz.check(!input.customerId.isEmpty && input.customerId.utf8.count <= 256, "customerId length")
        Fuzz.check(!input.customerId.utf8.contains { $0 < 0x20 || $0 == 0x7F }, "customerId with control characters")
        switch input.params["ownerUserId"] {
        case .string(let owner)? where !owner.isEmpty: Fuzz.check(input.tenant.rawValue == owner, "tenant is not ownerUserId")
        default: Fuzz.check(input.tenant == .publicTenant, "tenant without ownerUserId is not public")
        }
    }

    /// A rendered proxy response: JSON with the expected status, headers, and a body that is empty (204) or the
    /// `{ok, data, error}` envelope.
    static func checkRendered(_ response: [UInt8], status: Int) {
        guard case .object(let object)? = try? JSON.parse(response) else {
            Fuzz.check(false, "proxy response is not JSON")
            return
        }
        Fuzz.check(object["statusCode"]?.int64Value == Int64(status), "proxy response status")
        Fuzz.check(object["headers"]?.objectValue?["Content-Type"] != nil, "proxy response headers")
        guard let body = object["body"]?.stringValue else {
            Fuzz.check(false, "proxy response without body")
            return
        }
        if status == 204 {
            Fuzz.check(body.isEmpty, "preflight with a body")
            return
        }
        guard case .object(let envelope)? = try? JSON.parse(body) else {
            Fuzz.check(false, "envelope is not JSON")
            return
        }
        let ok = envelope["ok"]?.boolValue
        Fuzz.check(ok == (status == 200), "envelope ok flag")
        Fuzz.check(ok == true ? envelope["error"] == .null : envelope["error"]?["code"]?.stringValue != nil, "envelope error")
    }

    // MARK: Re-signing

    /// The event with `X-Signature` replaced by the correct v1 signature for its own timestamp, client and body
    /// (every other member untouched), or `nil` when it has no single timestamp and client to sign.
    static func resign(_ input: [UInt8], _ request: HTTPRequest) -> [UInt8]? {
        guard case .value(let timestamp) = request.header("x-timestamp"), case .value(let client) = request.header("x-client"),
            case .object(var root)? = try? JSON.parse(input, options: eventOptions)
        else { return nil }
        let signature = Hex.encode(
            Crypto.hmacSHA256(key: secret, message: Array(timestamp.utf8) + [0x2E] + Array(client.utf8) + [0x2E] + (request.body ?? [])))
        var headers = JSONObject()
        for (name, value) in root["headers"]?.objectValue ?? JSONObject() where fold(name) != "x-signature" {
            headers.append(key: name, value: value)
        }
        headers.append(key: "X-Signature", value: .string(signature))
        root["headers"] = .object(headers)
        if let multi = root["multiValueHeaders"]?.objectValue {
            var kept = JSONObject()
            for (name, value) in multi where fold(name) != "x-signature" { kept.append(key: name, value: value) }
            root["multiValueHeaders"] = .object(kept)
        }
        return JSON.object(root).serialized()
    }
}

@main struct EventFuzzMain {
    static func main() { Fuzz.main(EventFuzz.run) }
}
