/// CORS as API Gateway applies an HTTP API's `CorsConfiguration` (and Lambda a Function URL's `Cors`): preflights
/// are answered without calling the function, and actual responses get the CORS headers, replacing any the function
/// returned (API Gateway ignores the integration's own CORS headers when CORS is configured).
enum CORS {
    /// True for a CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
    static func isPreflight(_ request: GatewayRequest) -> Bool {
        request.method == "OPTIONS" && request.header("origin") != nil && request.header("access-control-request-method") != nil
    }

    static func originAllowed(_ origin: String, _ configuration: CORSConfiguration) -> Bool {
        configuration.allowOrigins.contains { $0 == "*" || $0.caseInsensitiveEquals(origin) }
    }

    /// `Access-Control-Allow-Origin`: the origin itself (a configured `*` answers `*` unless credentials are allowed).
    private static func allowOrigin(_ origin: String, _ configuration: CORSConfiguration) -> String {
        if configuration.allowOrigins.contains("*") && !configuration.allowCredentials { return "*" }
        return origin
    }

    /// The answer to a preflight: `status` (204 for an HTTP API, 200 for a Function URL) with the allowed origin,
    /// methods, headers, max age and credentials — or no CORS headers at all when the origin, method or a requested
    /// header is not allowed (the browser then refuses the call).
    static func preflight(_ request: GatewayRequest, _ configuration: CORSConfiguration, status: Int) -> GatewayResponse {
        guard let origin = request.header("origin"), originAllowed(origin, configuration) else {
            return GatewayResponse(status: status, headers: [], body: [])
        }
        let method = request.header("access-control-request-method")?.trimmingASCIIWhitespace().uppercased() ?? ""
        let methodAllowed = configuration.allowMethods.contains("*") || configuration.allowMethods.contains(method)
        let requested = (request.header("access-control-request-headers") ?? "")
            .split(separator: ",").map { $0.trimmingASCIIWhitespace().asciiLowercased }.filter { !$0.isEmpty }
        let anyHeader = configuration.allowHeaders.contains("*")
        let allowedHeaders = Set(configuration.allowHeaders.map { $0.asciiLowercased })
        let headersAllowed = anyHeader || requested.allSatisfy { allowedHeaders.contains($0) }
        guard methodAllowed, headersAllowed else { return GatewayResponse(status: status, headers: [], body: []) }
        var headers: [(String, String)] = [("Access-Control-Allow-Origin", allowOrigin(origin, configuration))]
        if configuration.allowCredentials { headers.append(("Access-Control-Allow-Credentials", "true")) }
        let methods = configuration.allowMethods.contains("*") ? method : configuration.allowMethods.joined(separator: ",")
        if !methods.isEmpty { headers.append(("Access-Control-Allow-Methods", methods)) }
        let allowHeaders = anyHeader ? requested.joined(separator: ",") : configuration.allowHeaders.joined(separator: ",")
        if !allowHeaders.isEmpty { headers.append(("Access-Control-Allow-Headers", allowHeaders)) }
        if let maxAge = configuration.maxAge { headers.append(("Access-Control-Max-Age", String(maxAge))) }
        if !configuration.allowOrigins.contains("*") || configuration.allowCredentials { headers.append(("Vary", "Origin")) }
        return GatewayResponse(status: status, headers: headers, body: [])
    }

    /// The function's response headers with its CORS headers replaced by the configured ones.
    static func decorate(_ headers: [(String, String)], request: GatewayRequest, _ configuration: CORSConfiguration) -> [(String, String)] {
        var out = headers.filter { !$0.0.asciiLowercased.hasPrefix("access-control-") }
        guard let origin = request.header("origin"), originAllowed(origin, configuration) else { return out }
        out.append(("Access-Control-Allow-Origin", allowOrigin(origin, configuration)))
        if configuration.allowCredentials { out.append(("Access-Control-Allow-Credentials", "true")) }
        if !configuration.exposeHeaders.isEmpty {
            out.append(("Access-Control-Expose-Headers", configuration.exposeHeaders.joined(separator: ",")))
        }
        if !configuration.allowOrigins.contains("*") || configuration.allowCredentials,
            !out.contains(where: { $0.0.caseInsensitiveEquals("vary") && $0.1.caseInsensitiveEquals("origin") })
        {
            out.append(("Vary", "Origin"))
        }
        return out
    }
}
