/// The copilot chain's steps before any secret, clock or database is involved (`CopilotHandler`, steps 1–3 of
/// docs/ARCHITECTURE.md): parsing the event, the origin allowlist, the CORS preflight, then method, body limit and
/// content type. Public so the fuzz targets (fuzz/event) run exactly these steps.
public enum CopilotChain {
    /// How a call begins.
    public enum Opening {
        /// The CORS preflight: `204` with these headers.
        case preflight([(String, String)])
        /// Refused before anything else (not an API event, a foreign origin), with the headers to answer with.
        case refused(EnvelopeError, [(String, String)])
        /// A request to check further, and the CORS and security headers of its answer.
        case request(APIGatewayRequest, [(String, String)])
    }

    /// Parses the event and checks its origin against `cors`; `OPTIONS` from an admitted origin is the preflight.
    public static func open(_ event: [UInt8], cors: CORSPolicy) -> Opening {
        let request: APIGatewayRequest
        do {
            request = try APIGatewayRequest(event: event)
        } catch {
            return .refused(error, cors.headers(origin: nil))
        }
        let origin = request.header("origin")
        let headers = cors.headers(origin: origin.value)
        // Browsers' calls from origins not on the allowlist are refused outright, preflights included.
        guard origin != .conflict, cors.admits(origin: origin.value) else {
            return .refused(EnvelopeError(.forbidden, "This origin is not allowed."), headers)
        }
        if request.method == "OPTIONS" { return .preflight(headers) }
        return .request(request, headers)
    }

    /// `POST` only, a body of at most `maxBodyBytes`, JSON (or no content type): checked before the signature.
    public static func checkShape(_ request: APIGatewayRequest, maxBodyBytes: Int) throws(EnvelopeError) {
        guard request.method == "POST" else {
            throw EnvelopeError(.methodNotAllowed, "Only POST is supported.", allowedMethods: ["OPTIONS", "POST"])
        }
        if let body = request.body, body.count > maxBodyBytes {
            throw EnvelopeError(.payloadTooLarge, "The request body is too large.")
        }
        try APIGatewayRequest.requireJSONContentType(request.header("content-type"))
    }
}
