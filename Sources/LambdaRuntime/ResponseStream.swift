/// A response sent with Lambda response streaming (`Lambda-Runtime-Function-Response-Mode: streaming`): the
/// runtime pulls chunks and sends them as they come, with HTTP chunked transfer encoding, so the response is not
/// bound by the 6 MB buffered limit. A thrown error ends the stream with the `Lambda-Runtime-Function-Error-Type`
/// and `Lambda-Runtime-Function-Error-Body` trailers.
public protocol ResponseStream {
    /// `Content-Type` of the stream. ``HTTPIntegrationResponse/contentType`` when the stream begins with the
    /// Function URL prelude.
    var contentType: String { get }
    /// The next chunk (may be empty); `nil` ends the stream. A thrown error ends it as failed: the error is reported
    /// in trailers, as a handler error would be reported to `/error`.
    mutating func next() throws -> [UInt8]?
}

/// What a handler answers for one invocation.
public enum LambdaResponse {
    /// The whole payload at once (`POST /response`, at most 6 MB).
    case buffered([UInt8])
    /// A streamed payload (`POST /response` in streaming mode).
    case streamed(any ResponseStream)
}
