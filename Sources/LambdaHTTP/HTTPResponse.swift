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
        var headers = HeadersDocument()
        return apiGatewayResult(reusing: &headers)
    }

    /// As ``apiGatewayResult()``, with the `headers` object taken from `document` when it was written for the same
    /// fields (a function answers most calls with the same few), and kept there otherwise.
    ///
    /// Written in one pass into a buffer reserved for the whole document (room for the escapes of a few characters).
    public func apiGatewayResult(reusing document: inout HeadersDocument) -> [UInt8] {
        let headersObject = document.object(for: headers)
        let body = bytes ?? []
        var w = JSONWriter(capacity: 96 + headersObject.count + body.count)
        w.beginObject()
        w.key("statusCode")
        w.int(status)
        w.key("headers")
        w.raw(headersObject)
        w.key("body")
        w.string(utf8: body)
        w.key("isBase64Encoded")
        w.bool(false)
        w.endObject()
        return w.bytes
    }

    /// The `headers` object of a result document, serialized, and the fields it was serialized from.
    public struct HeadersDocument {
        private var fields: [(String, String)] = []
        private var object: [UInt8] = []

        public init() {}

        /// `headers` as a JSON object: the one kept when the fields are the same, else written anew and kept.
        mutating func object(for headers: [(String, String)]) -> [UInt8] {
            if !object.isEmpty, fields.count == headers.count,
                zip(fields, headers).allSatisfy({ $0.0 == $1.0 && $0.1 == $1.1 })
            {
                return object
            }
            var capacity = 2
            for (name, value) in headers { capacity += name.utf8.count + value.utf8.count + 6 }
            var w = JSONWriter(capacity: capacity)
            w.beginObject()
            for (name, value) in headers { w.member(name, string: value) }
            w.endObject()
            fields = headers
            object = w.bytes
            return object
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
