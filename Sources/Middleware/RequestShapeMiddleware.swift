public import LambdaHTTP

/// The request's shape, checked before anyone is authenticated: the method (when the function takes one method
/// only), the body's size (`MAX_BODY_BYTES`) and its content type (absent or `application/json`).
public final class RequestShapeMiddleware: RequestMiddleware {
    /// The one method accepted (`POST` for the copilot tools), or `nil` when routes decide (`RouterMiddleware`).
    let method: String?
    let maxBodyBytes: Int

    public init(method: String?, maxBodyBytes: Int) {
        self.method = method
        self.maxBodyBytes = maxBodyBytes
    }

    public func handle(_ request: HTTPRequest, context: inout RequestContext, next: MiddlewareNext) throws -> HTTPResponse {
        if let method, request.method != method {
            throw EnvelopeError(.methodNotAllowed, "Only \(method) is supported.", allowedMethods: ["OPTIONS", method].sorted())
        }
        if let body = request.body, body.count > maxBodyBytes {
            throw EnvelopeError(.payloadTooLarge, "The request body is too large.")
        }
        // A routed API looks at the content type only when there is a body; a single-method tool always does.
        if method != nil || request.body?.isEmpty == false { try HTTPRequest.requireJSONContentType(request.header("content-type")) }
        return try next(request, &context)
    }
}

extension HTTPRequest {
    /// Accepts an absent `Content-Type` or `application/json` (any parameters, any case); refuses anything else.
    public static func requireJSONContentType(_ header: HeaderValue) throws(EnvelopeError) {
        switch header {
        case .absent: return
        case .conflict: throw EnvelopeError(.unsupportedMediaType, "The request must be JSON.")
        case .value(let value):
            let mediaType = value.utf8.prefix { $0 != 0x3B }.filter { $0 != 0x20 && $0 != 0x09 }.map { $0 | 0x20 }
            guard mediaType.elementsEqual("application/json".utf8) else {
                throw EnvelopeError(.unsupportedMediaType, "The request must be JSON.")
            }
        }
    }

    /// Refuses (`400 INVALID_INPUT`) a body that is not valid UTF-8 as the client sent it:
    ///
    /// - a base64 body (`isBase64Encoded`: a REST API's `BinaryMediaTypes`, an HTTP API's or Function URL's non-text
    ///   content type) holds the client's bytes, which must be well-formed UTF-8 (RFC 3629: no overlong forms,
    ///   surrogates, values above U+10FFFF or truncated sequences);
    /// - a text body has already been decoded by API Gateway, which replaces every ill-formed sequence with U+FFFD
    ///   (REPLACEMENT CHARACTER) and hands the function valid UTF-8: the original bytes are gone, and U+FFFD is their
    ///   only trace. A text body holding U+FFFD is refused — a client that means the character itself writes the
    ///   escape `\ufffd`, which JSON parsing turns into it.
    ///
    /// The message is `JSONBody`'s for invalid UTF-8 (what the copilot tools answer for a base64 body), naming no
    /// byte or position.
    public func requireUTF8Body() throws(EnvelopeError) {
        guard let body, !body.isEmpty else { return }
        if Self.isWellFormedUTF8(body, refusingReplacementCharacter: !bodyWasBase64Encoded) { return }
        throw EnvelopeError(.invalidInput, JSONBody.message(for: .invalidUTF8))
    }
}
