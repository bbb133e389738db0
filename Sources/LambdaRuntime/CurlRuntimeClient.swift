internal import Bytes
internal import Curl
internal import WardenJSON

/// The Runtime API over one reused libcurl handle (one keep-alive connection for the process's life).
public struct CurlRuntimeClient: RuntimeAPIClient {
    private let curl: CurlEasy
    /// `http://host:port`.
    private let origin: String
    /// The path every Runtime API call's starts with: the prefix, if any, and `/2018-06-01/runtime`.
    private let basePath: String
    /// `/invocation/next`, parsed once by libcurl (`nil` when it would not parse it: then the string goes each time).
    private let nextURL: CurlURL?
    /// The answers' URL, whose path each answer replaces (`nil` as for `nextURL`, or when `basePath` is not a plain
    /// path: see `CurlURL.isPlainPath`).
    private let answerURL: CurlURL?
    /// `basePath` as UTF-8.
    private let basePathUTF8: [UInt8]
    /// The last answer's path (`basePath` included), rebuilt in place for each answer.
    private var pathBuffer: [UInt8] = []
    /// Whether `/next` stops when the multi handle's stop descriptor becomes readable (shutdown).
    private let stoppable: Bool

    /// `runtimeAPI` is `AWS_LAMBDA_RUNTIME_API`: `host:port`, optionally followed by a path prefix.
    public init(runtimeAPI: String) throws(LambdaRuntimeError) {
        try self.init(runtimeAPI: runtimeAPI, multi: nil)
    }

    /// A client whose transfers run on `multi`, and whose `/next` stops (``LambdaRuntimeError/Code/interrupted``)
    /// when the multi's stop descriptor becomes readable before the response begins.
    init(runtimeAPI: String, multi: CurlMulti?) throws(LambdaRuntimeError) {
        stoppable = multi != nil
        let trimmed = runtimeAPI.hasSuffix("/") ? String(runtimeAPI.dropLast()) : runtimeAPI
        guard !trimmed.isEmpty, !trimmed.utf8.containsBytes("://".utf8) else { throw LambdaRuntimeError(.missingRuntimeAPI) }
        do {
            curl = try CurlEasy(multi: multi)
        } catch {
            throw LambdaRuntimeError(.runtimeAPIUnavailable, detail: error.description)
        }
        let slash = trimmed.utf8.firstIndex(of: UInt8(ascii: "/")) ?? trimmed.utf8.endIndex
        origin = "http://" + String(decoding: trimmed.utf8[..<slash], as: UTF8.self)
        basePath = String(decoding: trimmed.utf8[slash...], as: UTF8.self) + "/2018-06-01/runtime"
        nextURL = try? CurlURL(origin + basePath + "/invocation/next")
        answerURL = CurlURL.isPlainPath(basePath) ? try? CurlURL(origin + basePath + "/invocation/next") : nil
        basePathUTF8 = Array(basePath.utf8)
    }

    /// The headers `/next` answers with that an invocation carries, in the order ``next()`` reads them.
    private static let invocationHeaders = HTTPResponse.FieldNames([
        "Lambda-Runtime-Aws-Request-Id", "Lambda-Runtime-Deadline-Ms", "Lambda-Runtime-Invoked-Function-Arn",
        "Lambda-Runtime-Trace-Id", "Lambda-Runtime-Client-Context", "Lambda-Runtime-Cognito-Identity",
        "Lambda-Runtime-Aws-Tenant-Id", "Lambda-Runtime-Invocation-Id",
    ])

    public mutating func next() throws(LambdaRuntimeError) -> Invocation {
        let response: HTTPResponse
        do {
            if let nextURL {
                response = try curl.perform(method: "GET", url: nextURL, stoppable: stoppable)
            } else {
                response = try curl.perform(method: "GET", url: origin + basePath + "/invocation/next", stoppable: stoppable)
            }
        } catch where error.code == .interrupted {
            throw LambdaRuntimeError(.interrupted)
        } catch {
            throw LambdaRuntimeError(.runtimeAPIUnavailable, detail: error.description)
        }
        guard response.status == 200 else {
            throw LambdaRuntimeError(.runtimeAPIUnavailable, detail: "next answered \(response.status)")
        }
        let fields = response.headers(named: Self.invocationHeaders)
        guard let requestID = fields[0], !requestID.isEmpty, let deadlineText = fields[1], let deadline = Int64(deadlineText)
        else { throw LambdaRuntimeError(.invalidInvocation) }
        let metadata = InvocationMetadata(
            requestID: requestID,
            deadlineMilliseconds: deadline,
            invokedFunctionARN: fields[2] ?? "",
            traceID: nonEmpty(fields[3]),
            clientContext: nonEmpty(fields[4]),
            cognitoIdentity: nonEmpty(fields[5]),
            tenantID: nonEmpty(fields[6]),
            invocationID: nonEmpty(fields[7])
        )
        return Invocation(event: response.body, metadata: metadata)
    }

    public mutating func respond(_ target: InvocationTarget, body: [UInt8]) throws(LambdaRuntimeError) {
        let response = try send("POST", invocation: target.requestID, "/response", body: body, headers: Self.identifying(target))
        try expectAccepted(response)
    }

    public mutating func respondStreaming(
        _ target: InvocationTarget, contentType: String, next: () -> StreamedResponsePart
    ) throws(LambdaRuntimeError) {
        let headers = [
            HTTPHeader("Lambda-Runtime-Function-Response-Mode", "streaming"),
            HTTPHeader("Content-Type", contentType),
            HTTPHeader("Trailer", "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body"),
        ] + Self.identifying(target)
        let response: HTTPResponse
        do {
            response = try curl.performStreamingUpload(url: origin + basePath + "/invocation/\(target.requestID)/response", headers: headers) {
                switch next() {
                case .chunk(let bytes):
                    return .data(bytes)
                case .end:
                    return .end(trailers: [])
                case .failed(let report):
                    return .end(trailers: [
                        HTTPHeader("Lambda-Runtime-Function-Error-Type", fieldValue(report.errorType)),
                        HTTPHeader("Lambda-Runtime-Function-Error-Body", Base64.standard.encode(Self.errorBody(report))),
                    ])
                }
            }
        } catch {
            throw LambdaRuntimeError(.runtimeAPIUnavailable, detail: error.description)
        }
        try expectAccepted(response)
    }

    public mutating func reportError(_ target: InvocationTarget, _ report: ErrorReport) throws(LambdaRuntimeError) {
        let response = try send(
            "POST", invocation: target.requestID, "/error", body: Self.errorBody(report),
            headers: [HTTPHeader("Lambda-Runtime-Function-Error-Type", report.errorType)] + Self.identifying(target)
        )
        try expectAccepted(response)
    }

    /// `Lambda-Runtime-Invocation-Id` when `/next` sent one: the Runtime API refuses an answer whose id is not the
    /// invocation's (a late answer cannot reach another invocation).
    static func identifying(_ target: InvocationTarget) -> [HTTPHeader] {
        guard let id = target.invocationID else { return [] }
        return [HTTPHeader("Lambda-Runtime-Invocation-Id", fieldValue(id))]
    }

    public mutating func reportInitError(_ report: ErrorReport) throws(LambdaRuntimeError) {
        // Bounded: the process exits right after it, and must not hang in init on a Runtime API that never answers.
        let response = try send(
            "POST", "/init/error", body: Self.errorBody(report),
            headers: [HTTPHeader("Lambda-Runtime-Function-Error-Type", report.errorType)], timeoutMilliseconds: 5000
        )
        try expectAccepted(response)
    }

    /// The JSON body Lambda expects for `/error` and `/init/error`.
    static func errorBody(_ report: ErrorReport) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("errorMessage")
        writer.string(report.errorMessage)
        writer.key("errorType")
        writer.string(report.errorType)
        writer.key("stackTrace")
        writer.beginArray()
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    /// Sends `method` to `/invocation/<requestID><last>` below `basePath` (see the other `send`).
    private mutating func send(
        _ method: String, invocation requestID: String, _ last: StaticString, body: [UInt8]?, headers: [HTTPHeader]
    ) throws(LambdaRuntimeError) -> HTTPResponse {
        var path = pathBuffer
        pathBuffer = []  // so that `path` is uniquely referenced: rebuilt in place
        path.removeAll(keepingCapacity: true)
        path.append(contentsOf: basePathUTF8)
        path.append(contentsOf: "/invocation/".utf8)
        path.append(contentsOf: requestID.utf8)
        last.withUTF8Buffer { path.append(contentsOf: $0) }
        defer { pathBuffer = path }
        return try send(method, path: path, plain: CurlURL.isPlainPathPart(requestID), body: body, headers: headers)
    }

    /// Sends `method` to `path` (a literal below `basePath`, which needs no encoding).
    private func send(
        _ method: String, _ path: StaticString, body: [UInt8]?, headers: [HTTPHeader], timeoutMilliseconds: Int = 0
    ) throws(LambdaRuntimeError) -> HTTPResponse {
        let full = basePathUTF8 + path.withUTF8Buffer { Array($0) }
        return try send(method, path: full, plain: true, body: body, headers: headers, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Sends `method` to `path` (UTF-8, `basePath` included): through the parsed answer URL when `plain` (the part
    /// after `basePath` needs no encoding), as a string URL otherwise.
    private func send(
        _ method: String, path: [UInt8], plain: Bool, body: [UInt8]?, headers: [HTTPHeader], timeoutMilliseconds: Int = 0
    ) throws(LambdaRuntimeError) -> HTTPResponse {
        let all = body == nil ? headers : headers.isEmpty ? Self.jsonContent : headers + Self.jsonContent
        do {
            if let answerURL, plain {
                try answerURL.setPath(utf8: path)
                return try curl.perform(method: method, url: answerURL, headers: all, body: body, timeoutMilliseconds: timeoutMilliseconds)
            }
            let url = origin + String(decoding: path, as: UTF8.self)
            return try curl.perform(method: method, url: url, headers: all, body: body, timeoutMilliseconds: timeoutMilliseconds)
        } catch {
            throw LambdaRuntimeError(.runtimeAPIUnavailable, detail: error.description)
        }
    }

    /// The header of a call with a body.
    private static let jsonContent = [HTTPHeader("Content-Type", "application/json")]

    private func expectAccepted(_ response: HTTPResponse) throws(LambdaRuntimeError) {
        switch response.status {
        case 202: return
        case 413: throw LambdaRuntimeError(.responseTooLarge, detail: "Runtime API answered 413")
        case 400..<500: throw LambdaRuntimeError(.answerRefused, detail: "Runtime API answered \(response.status)")
        default: throw LambdaRuntimeError(.runtimeAPIUnavailable, detail: "Runtime API answered \(response.status)")
        }
    }
}

/// `text` safe as an HTTP field value: control characters (CR, LF, ...) become spaces.
private func fieldValue(_ text: String) -> String {
    guard text.utf8.contains(where: { $0.isASCIIControl }) else { return text }
    return String(decoding: text.utf8.map { $0.isASCIIControl ? 0x20 : $0 }, as: UTF8.self)
}

private func nonEmpty(_ s: String?) -> String? {
    guard let s, !s.isEmpty else { return nil }
    return s
}
