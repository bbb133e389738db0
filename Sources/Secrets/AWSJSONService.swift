internal import Bytes
internal import Curl
internal import Platform
internal import WardenJSON

/// One AWS service spoken over the JSON 1.1 protocol (`POST /`, `X-Amz-Target`), signed by libcurl.
///
/// Holds a reused `CurlEasy`, so it is confined to the thread that uses it (the invocation loop).
struct AWSJSONService {
    /// SigV4 signing name, e.g. `ssm`.
    let signingName: String
    /// `X-Amz-Target` prefix, e.g. `AmazonSSM`.
    let targetPrefix: String
    /// Absolute URL the requests go to (never logged: it may carry user info).
    let url: String
    let credentials: AWSCredentials
    let curl: CurlEasy

    /// A service at `endpoint`, or at the one `resolve` finds for the credentials' region, on a new handle.
    ///
    /// - Parameter displayName: the service's name in error messages, e.g. `SSM`.
    static func connect(
        signingName: String, targetPrefix: String, displayName: String, credentials: AWSCredentials, endpoint: String?,
        resolve: (String, (String) -> String?) throws(SecretsError) -> String
    ) throws(SecretsError) -> AWSJSONService {
        let url: String
        if let endpoint {
            guard let normalized = normalizedEndpoint(endpoint) else {
                throw SecretsError(.notConfigured, subject: "\(displayName) endpoint", reason: "not an http:// or https:// URL")
            }
            url = normalized
        } else {
            url = try resolve(credentials.region, Platform.environment)
        }
        let curl: CurlEasy
        do {
            curl = try CurlEasy()
        } catch {
            throw SecretsError(.unavailable, subject: "\(displayName) client", reason: "libcurl handle: \(error.detail)")
        }
        return AWSJSONService(signingName: signingName, targetPrefix: targetPrefix, url: url, credentials: credentials, curl: curl)
    }

    /// Largest answer accepted (a Secrets Manager value is at most 64 KiB, an SSM parameter 8 KiB).
    static let maxResponseBytes = 1 << 20

    /// Calls `operation` with `payload` and returns the parsed answer of a 200.
    ///
    /// - Parameter subject: what is being read, for error messages (a name, never a value).
    func call(_ operation: String, payload: [UInt8], subject: String, timeoutMilliseconds: Int) throws(SecretsError) -> JSON {
        let headers = [
            HTTPHeader("Content-Type", "application/x-amz-json-1.1"),
            HTTPHeader("X-Amz-Target", "\(targetPrefix).\(operation)"),
        ]
        let response: HTTPResponse
        do {
            response = try curl.perform(
                method: "POST", url: url, headers: headers, body: payload,
                timeoutMilliseconds: max(1, timeoutMilliseconds), maxResponseBytes: Self.maxResponseBytes,
                signing: credentials.signing(service: signingName)
            )
        } catch {
            throw Self.transportError(error, subject: subject, timeoutMilliseconds: max(1, timeoutMilliseconds))
        }
        guard response.status == 200 else { throw Self.serviceError(response, subject: subject) }
        do {
            return try JSON.parse(response.body)
        } catch {
            throw SecretsError(.malformed, subject: subject, reason: "the answer is not JSON")
        }
    }

    // MARK: Endpoints

    /// The endpoint of a service: `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL` (both ignored when
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is `true`), else `https://<hostPrefix>.<region>.amazonaws.com/`.
    ///
    /// - Parameters:
    ///   - serviceVariable: the service's suffix of the SDK variable, e.g. `SSM` or `SECRETS_MANAGER`.
    ///   - hostPrefix: the service's endpoint prefix, e.g. `ssm` or `secretsmanager`.
    static func endpoint(
        serviceVariable: String, hostPrefix: String, region: String, environment: (String) -> String?
    ) throws(SecretsError) -> String {
        let ignore = environment("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").map { $0.lowercased() == "true" } ?? false
        if !ignore {
            for name in ["AWS_ENDPOINT_URL_\(serviceVariable)", "AWS_ENDPOINT_URL"] {
                guard let value = nonEmpty(environment(name)) else { continue }
                guard let url = normalizedEndpoint(value) else {
                    throw SecretsError(.notConfigured, subject: name, reason: "not an http:// or https:// URL")
                }
                return url
            }
        }
        guard AWSCredentials.isRegionName(region) else {
            throw SecretsError(.notConfigured, subject: "AWS_REGION", reason: "not a region name")
        }
        let domain = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return "https://\(hostPrefix).\(region).\(domain)/"
    }

    /// `value` with a `/` path when it has none, or `nil` when it is not an absolute http(s) URL.
    static func normalizedEndpoint(_ value: String) -> String? {
        let lower = value.lowercased()
        let scheme: Int
        if lower.hasPrefix("https://") {
            scheme = 8
        } else if lower.hasPrefix("http://") {
            scheme = 7
        } else {
            return nil
        }
        let rest = value.utf8.dropFirst(scheme)
        guard let first = rest.first, first != UInt8(ascii: "/"),
            !rest.contains(where: { $0.isASCIIControl || $0 == UInt8(ascii: " ") })
        else { return nil }
        return rest.contains(UInt8(ascii: "/")) ? value : value + "/"
    }

    // MARK: Errors

    /// A transport failure: the service was not reached or did not answer in time.
    static func transportError(_ error: CurlError, subject: String, timeoutMilliseconds: Int) -> SecretsError {
        switch error.code {
        case .responseTooLarge:
            return SecretsError(.malformed, subject: subject, reason: "the answer is larger than \(maxResponseBytes) bytes")
        case .setup, .transfer, .interrupted:
            // CURLE_OPERATION_TIMEDOUT
            if error.curlCode == 28 {
                return SecretsError(.unavailable, subject: subject, reason: "no answer within \(timeoutMilliseconds) ms")
            }
            return SecretsError(.unavailable, subject: subject, reason: "transport failure: \(error.detail)")
        }
    }

    /// The error for a non-200 answer, from its AWS error type and status.
    static func serviceError(_ response: HTTPResponse, subject: String) -> SecretsError {
        let type = errorType(of: response)
        let reason = type.map { "\($0), HTTP \(response.status)" } ?? "HTTP \(response.status)"
        return SecretsError(classify(errorType: type, status: response.status), subject: subject, reason: reason)
    }

    /// Maps an AWS error type (or, without one, the HTTP status) to a `SecretsError.Code`.
    static func classify(errorType: String?, status: Int) -> SecretsError.Code {
        switch errorType {
        case "ParameterNotFound", "ParameterVersionNotFound", "ResourceNotFoundException":
            return .notFound
        case "AccessDeniedException", "AccessDenied", "UnrecognizedClientException", "InvalidSignatureException",
            "SignatureDoesNotMatch", "InvalidClientTokenId", "IncompleteSignature", "IncompleteSignatureException",
            "MissingAuthenticationToken", "MissingAuthenticationTokenException", "ExpiredToken",
            "ExpiredTokenException", "InvalidAccessKeyId", "AuthFailure", "NotAuthorized", "DecryptionFailure",
            "InvalidKeyId", "KMSAccessDeniedException":
            return .accessDenied
        case "ThrottlingException", "Throttling", "TooManyRequestsException", "InternalServerError",
            "InternalServerErrorException", "InternalFailure", "InternalServiceError", "ServiceUnavailable",
            "ServiceUnavailableException", "RequestTimeout", "RequestTimeoutException":
            return .unavailable
        default:
            switch status {
            case 401, 403: return .accessDenied
            case 404: return .notFound
            case 408, 429, 500...599: return .unavailable
            default: return .malformed
            }
        }
    }

    /// The AWS error type of an error answer: header `X-Amzn-ErrorType`, else the JSON body's `__type` (or `code`),
    /// else an XML `<Code>` element; reduced to its short name (`com.amazonaws.ssm#ParameterNotFound:…` →
    /// `ParameterNotFound`). Only names made of letters, digits and dots are returned, so nothing else from the
    /// answer reaches a message.
    static func errorType(of response: HTTPResponse) -> String? {
        var candidates: [String] = []
        if let header = response.header("X-Amzn-ErrorType") { candidates.append(header) }
        if let json = try? JSON.parse(response.body) {
            if let type = json["__type"]?.stringValue { candidates.append(type) }
            if let code = json["code"]?.stringValue { candidates.append(code) }
        } else if let code = xmlCode(response.body) {
            candidates.append(code)
        }
        for candidate in candidates {
            var name = Substring(candidate)
            if let hash = name.lastIndex(of: "#") { name = name[name.index(after: hash)...] }
            if let colon = name.firstIndex(of: ":") { name = name[..<colon] }
            let safe = !name.isEmpty && name.utf8.count <= 100
                && name.utf8.allSatisfy { b in
                    (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) || b == 0x2E
                }
            if safe { return String(name) }
        }
        return nil
    }

    /// The text of the first `<Code>` element (query-protocol and IAM-style XML errors).
    private static func xmlCode(_ body: [UInt8]) -> String? {
        guard let start = body.firstRange(ofBytes: "<Code>".utf8) else { return nil }
        let rest = body[start.upperBound...]
        guard let end = rest.firstRange(ofBytes: "</Code>".utf8) else { return nil }
        return String(decoding: body[start.upperBound..<end.lowerBound], as: UTF8.self)
    }
}
