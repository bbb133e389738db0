internal import Bytes
internal import Curl

/// An issuer's JWKS URL (`JWT_JWKS_URL`), read with libcurl: a `GET` bounded by a timeout and 1 MiB, without
/// redirects, verified against the system CA bundle (`WARDEN_CA_BUNDLE` overrides it).
///
/// Only `https://` URLs are accepted, except `http://` to the loopback literals `127.0.0.1` and `[::1]` (with any
/// port): nothing on the network can read or change that traffic, so tests and local identity-provider emulators
/// need no certificate. Any other URL fails the function's initialization. Errors name the setting, never the URL
/// (it may carry a token or user info).
///
/// Holds one keep-alive libcurl handle, made on the first fetch: use it from one thread at a time.
public final class JWKSEndpoint {
    /// Largest document accepted (`JWKSet`'s own parsing limit).
    public static let maxDocumentBytes = 1 << 20
    /// The setting the URL comes from, as errors name it.
    public static let setting = "JWT_JWKS_URL"

    private let url: String
    private var curl: CurlEasy?

    /// Checks `url` (see the type's rules); connects on the first fetch.
    public init(url: String) throws(SecretsError) {
        guard Self.isAllowed(url) else {
            throw SecretsError(
                .notConfigured, subject: Self.setting,
                reason: "must be an https:// URL (http:// only to 127.0.0.1 or [::1])"
            )
        }
        self.url = url
    }

    /// Whether `url` is an `https://` URL with a host, or an `http://` URL whose host is `127.0.0.1` or `[::1]`;
    /// no spaces or control characters anywhere.
    public static func isAllowed(_ url: String) -> Bool {
        let bytes = Array(url.utf8)
        guard !bytes.isEmpty, bytes.count <= 2048, !bytes.contains(where: { $0.isASCIIControl || $0 == UInt8(ascii: " ") }) else { return false }
        let lower = url.lowercased()
        let secure: Bool
        let schemeLength: Int
        if lower.hasPrefix("https://") {
            (secure, schemeLength) = (true, 8)
        } else if lower.hasPrefix("http://") {
            (secure, schemeLength) = (false, 7)
        } else {
            return false
        }
        let rest = bytes[schemeLength...]
        let authorityEnd = rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? rest.endIndex
        let authority = String(decoding: rest[..<authorityEnd], as: UTF8.self)
        guard !authority.isEmpty, !authority.utf8.contains(UInt8(ascii: "@")) else { return false }
        if secure { return !authority.hasPrefix(":") }
        for host in ["127.0.0.1", "[::1]"] {
            if authority == host { return true }
            if authority.hasPrefix(host + ":") {
                let port = authority.utf8.dropFirst(host.utf8.count + 1)
                guard !port.isEmpty, port.count <= 5, port.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
                return Int(String(decoding: port, as: UTF8.self)).map { (1...65535).contains($0) } ?? false
            }
        }
        return false
    }

    /// The document's bytes, from a `200` answer within `timeoutMilliseconds`.
    ///
    /// - Throws: `.unavailable` (not reached, no answer in time, a 5xx or 429), `.malformed` (another status, or a
    ///   document over `maxDocumentBytes`); the error names `JWT_JWKS_URL`, never the URL.
    public func fetch(timeoutMilliseconds: Int) throws(SecretsError) -> [UInt8] {
        let handle: CurlEasy
        if let curl {
            handle = curl
        } else {
            do {
                handle = try CurlEasy()
            } catch {
                throw SecretsError(.unavailable, subject: Self.setting, reason: "libcurl handle: \(error.detail)")
            }
            curl = handle
        }
        let timeout = max(1, timeoutMilliseconds)
        let response: HTTPResponse
        do {
            response = try handle.perform(
                method: "GET", url: url, headers: [HTTPHeader("Accept", "application/json")],
                timeoutMilliseconds: timeout, maxResponseBytes: Self.maxDocumentBytes
            )
        } catch {
            switch error.code {
            case .responseTooLarge:
                throw SecretsError(.malformed, subject: Self.setting, reason: "the document is larger than \(Self.maxDocumentBytes) bytes")
            case .setup, .transfer, .interrupted:
                // CURLE_OPERATION_TIMEDOUT
                if error.curlCode == 28 {
                    throw SecretsError(.unavailable, subject: Self.setting, reason: "no answer within \(timeout) ms")
                }
                throw SecretsError(.unavailable, subject: Self.setting, reason: "transport failure: \(error.detail)")
            }
        }
        switch response.status {
        case 200:
            return response.body
        case 408, 429, 500...599:
            throw SecretsError(.unavailable, subject: Self.setting, reason: "HTTP \(response.status)")
        default:
            throw SecretsError(.malformed, subject: Self.setting, reason: "HTTP \(response.status)")
        }
    }
}
