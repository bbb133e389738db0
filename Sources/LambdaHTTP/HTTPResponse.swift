public import LambdaRuntime
internal import WardenJSON

/// An HTTP response, whatever carries it back: the result document of an API Gateway proxy integration (buffered),
/// or a Function URL response stream (status and headers in the http-integration prelude, then the body's chunks).
public struct HTTPResponse {
    /// The body: bytes known at once, or a stream sent chunk by chunk (Function URLs in `RESPONSE_STREAM` mode).
    public enum Body {
        case bytes([UInt8])
        case stream(any ResponseStream)
    }

    public var status: Int
    /// Header fields in the order they are sent; a later field of the same name replaces an earlier one.
    public var headers: [(String, String)]
    public var body: Body

    public init(status: Int, headers: [(String, String)], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body's bytes, or `nil` for a stream.
    public var bytes: [UInt8]? {
        if case .bytes(let bytes) = body { return bytes }
        return nil
    }

    /// The proxy integration's result document: `{"statusCode", "headers", "body", "isBase64Encoded": false}`, the
    /// body as text (an ill-formed UTF-8 sequence becomes U+FFFD). A stream cannot be answered this way: its bytes
    /// are dropped (the framework never asks).
    public func apiGatewayResult() -> [UInt8] {
        var head = ResultHead()
        return apiGatewayResult(reusing: &head)
    }

    /// As ``apiGatewayResult()``, with the document's beginning (`{"statusCode":…,"headers":{…},"body":`) taken from
    /// `head` when it was written for the same status and fields (a function answers most calls with the same few),
    /// and kept there otherwise.
    ///
    /// Written into a buffer reserved for the whole document (room for the escapes of a few characters).
    public func apiGatewayResult(reusing head: inout ResultHead) -> [UInt8] {
        let prefix = head.bytes(status: status, headers: headers)
        let body = bytes ?? []
        var w = JSONWriter(capacity: prefix.count + body.count + 32)
        w.rawUpToValue(prefix)
        w.string(utf8: body)
        w.key("isBase64Encoded")
        w.bool(false)
        w.endObject()
        return w.bytes
    }

    /// The beginning of a result document up to its body, `{"statusCode":…,"headers":{…},"body":`, serialized, and
    /// the status and fields it was serialized from.
    public struct ResultHead {
        private var status = 0
        private var fields: [(String, String)] = []
        private var prefix: [UInt8] = []

        public init() {}

        /// The beginning for `status` and `headers`: the one kept when they are the same, else written anew and kept.
        mutating func bytes(status: Int, headers: [(String, String)]) -> [UInt8] {
            if !prefix.isEmpty, self.status == status, fields.count == headers.count,
                zip(fields, headers).allSatisfy({ $0.0 == $1.0 && $0.1 == $1.1 })
            {
                return prefix
            }
            var capacity = 48
            for (name, value) in headers { capacity += name.utf8.count + value.utf8.count + 6 }
            var w = JSONWriter(capacity: capacity)
            w.beginObject()
            w.key("statusCode")
            w.int(status)
            w.key("headers")
            w.beginObject()
            for (name, value) in headers { w.member(name, string: value) }
            w.endObject()
            w.key("body")
            self.status = status
            fields = headers
            prefix = w.bytes
            return prefix
        }
    }

    /// The response as a Function URL stream: the prelude (status and headers by name; a body stream's
    /// `contentType` replaces `Content-Type`), then the body.
    public func functionURLStream() -> HTTPIntegrationStream<HTTPResponseBodyStream> {
        var byName: [String: String] = [:]
        for (name, value) in headers { byName[name] = value }
        let stream: HTTPResponseBodyStream
        switch body {
        case .bytes(let bytes):
            stream = HTTPResponseBodyStream(fixed: bytes)
        case .stream(let body):
            byName["Content-Type"] = body.contentType
            stream = HTTPResponseBodyStream(stream: body)
        }
        return HTTPIntegrationResponse(statusCode: status, headers: byName).stream(body: stream)
    }
}

/// The body after a Function URL stream's prelude: fixed bytes (sent as one chunk, none when empty), or a stream.
public struct HTTPResponseBodyStream: ResponseStream {
    private var fixed: [UInt8]?
    private var stream: (any ResponseStream)?

    init(fixed: [UInt8]) { self.fixed = fixed.isEmpty ? nil : fixed }
    init(stream: any ResponseStream) { self.stream = stream }

    public var contentType: String { stream?.contentType ?? "application/json" }

    public mutating func next() throws -> [UInt8]? {
        if var stream {
            self.stream = nil  // the stream's buffers stay uniquely referenced while it works
            defer { self.stream = stream }
            return try stream.next()
        }
        defer { fixed = nil }
        return fixed
    }
}
