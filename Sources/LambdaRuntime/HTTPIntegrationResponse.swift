internal import WardenJSON

/// The head of a streamed Function URL response: Lambda reads the prelude at the start of a stream whose
/// `Content-Type` is ``contentType`` (status, headers, cookies as JSON, then 8 NUL bytes) and sends the rest of the
/// stream as the HTTP body.
public struct HTTPIntegrationResponse: Sendable, Equatable {
    /// `Content-Type` of a stream that begins with the prelude.
    public static let contentType = "application/vnd.awslambda.http-integration-response"
    /// The 8 NUL bytes that end the prelude.
    public static let delimiter: [UInt8] = Array(repeating: 0, count: 8)

    /// HTTP status code of the response.
    public var statusCode: Int
    /// Response headers (one value each; written in name order).
    public var headers: [String: String]
    /// `Set-Cookie` values, in order.
    public var cookies: [String]

    public init(statusCode: Int = 200, headers: [String: String] = [:], cookies: [String] = []) {
        self.statusCode = statusCode
        self.headers = headers
        self.cookies = cookies
    }

    /// `{"statusCode":…,"headers":{…},"cookies":[…]}` followed by ``delimiter``.
    public var prelude: [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("statusCode")
        writer.int(statusCode)
        writer.key("headers")
        writer.beginObject()
        for name in headers.keys.sorted() {
            guard let value = headers[name] else { continue }
            writer.key(name)
            writer.string(value)
        }
        writer.endObject()
        writer.key("cookies")
        writer.beginArray()
        for cookie in cookies { writer.string(cookie) }
        writer.endArray()
        writer.endObject()
        return writer.bytes + Self.delimiter
    }

    /// A stream that sends this prelude, then `body`'s chunks (``contentType`` as its `Content-Type`).
    public func stream<Body: ResponseStream>(body: Body) -> HTTPIntegrationStream<Body> {
        HTTPIntegrationStream(head: self, body: body)
    }
}

/// A Function URL stream: the ``HTTPIntegrationResponse`` prelude as the first chunk, then the body's chunks.
/// An error the body throws passes through (it ends the stream with the error trailers).
public struct HTTPIntegrationStream<Body: ResponseStream>: ResponseStream {
    public let head: HTTPIntegrationResponse
    public var body: Body
    private var preludeSent = false

    public init(head: HTTPIntegrationResponse, body: Body) {
        self.head = head
        self.body = body
    }

    public var contentType: String { HTTPIntegrationResponse.contentType }

    public mutating func next() throws -> [UInt8]? {
        if !preludeSent {
            preludeSent = true
            return head.prelude
        }
        return try body.next()
    }
}

/// A stream over chunks already at hand (handy for small bodies and tests).
public struct ChunkStream: ResponseStream {
    public let contentType: String
    private var chunks: [[UInt8]]
    private var index = 0

    public init(contentType: String, chunks: [[UInt8]]) {
        self.contentType = contentType
        self.chunks = chunks
    }

    public mutating func next() throws -> [UInt8]? {
        guard index < chunks.count else { return nil }
        defer { index += 1 }
        return chunks[index]
    }
}
