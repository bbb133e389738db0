import Bytes
import Foundation

/// Signs API Gateway proxy events the way the copilot front end signs requests, so `warden invoke` can exercise a
/// function's HMAC check: `X-Signature` = lowercase hex HMAC-SHA256(secret, "{X-Timestamp}.{X-Client}.{raw body}").
public enum EventSigner {
    /// `X-Client` used when the event has none.
    public static let defaultClient = "copilot-frontend"
    /// Secret used when neither `--secret` nor `HMAC_SECRET` is given.
    public static let defaultSecret = "local-dev-secret"

    /// Returns `event` with `X-Client` (kept if present), `X-Timestamp` and `X-Signature` set in `headers` (and in
    /// `multiValueHeaders` when that key exists), or nil when the event is left alone: not a JSON object, not an API
    /// Gateway proxy event (`httpMethod` or `requestContext` plus a string `body`), an `OPTIONS` request, a `body` that
    /// claims base64 but is not, or already carrying an `X-Signature`.
    ///
    /// - Parameters:
    ///   - timestampMilliseconds: Unix time in milliseconds for `X-Timestamp`.
    ///   - hmacSHA256: HMAC-SHA256 (key, message) → 32-byte MAC, supplied by the caller's crypto module.
    public static func sign(
        event: [UInt8],
        secret: [UInt8],
        timestampMilliseconds: Int64,
        hmacSHA256: ([UInt8], [UInt8]) -> [UInt8]
    ) -> [UInt8]? {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(event))) as? [String: Any],
              object["httpMethod"] != nil || object["requestContext"] != nil,
              let body = object["body"] as? String
        else { return nil }
        if method(of: object)?.uppercased() == "OPTIONS" { return nil }

        var headers = object["headers"] as? [String: Any] ?? [:]
        let multiValueHeaders = object["multiValueHeaders"] as? [String: Any]
        let hasMultiValueHeaders = object.keys.contains("multiValueHeaders")
        if value(of: "X-Signature", in: headers, multiValue: multiValueHeaders) != nil { return nil }

        let rawBody: [UInt8]
        if object["isBase64Encoded"] as? Bool == true {
            guard let decoded = Base64.lenientPadded.decode(body) else { return nil }
            rawBody = decoded
        } else {
            rawBody = Array(body.utf8)
        }
        let client = value(of: "X-Client", in: headers, multiValue: multiValueHeaders) ?? defaultClient
        let timestamp = String(timestampMilliseconds)
        let message = Array("\(timestamp).\(client).".utf8) + rawBody
        let signature = Hex.encode(hmacSHA256(secret, message))

        // HTTP API (payload 2.0) events carry lowercase header names.
        let lowercase = object["version"] as? String == "2.0"
        let additions = [("X-Client", client), ("X-Timestamp", timestamp), ("X-Signature", signature)]
            .map { (lowercase ? $0.0.lowercased() : $0.0, $0.1) }
        for (name, value) in additions {
            headers = replacing(name, with: value, in: headers)
        }
        object["headers"] = headers
        if hasMultiValueHeaders {
            var multi = multiValueHeaders ?? [:]
            for (name, value) in additions {
                multi = replacing(name, with: [value], in: multi)
            }
            object["multiValueHeaders"] = multi
        }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes]) else {
            return nil
        }
        return Array(data)
    }

    /// The HTTP method of a REST (`httpMethod`) or HTTP API v2 (`requestContext.http.method`) event.
    private static func method(of event: [String: Any]) -> String? {
        if let method = event["httpMethod"] as? String { return method }
        let context = event["requestContext"] as? [String: Any]
        if let method = (context?["http"] as? [String: Any])?["method"] as? String { return method }
        return context?["httpMethod"] as? String
    }

    /// The first value of header `name` (case-insensitive) in `headers`, else in `multiValue`.
    private static func value(of name: String, in headers: [String: Any], multiValue: [String: Any]?) -> String? {
        let lowered = name.lowercased()
        for (key, value) in headers where key.lowercased() == lowered {
            if let text = value as? String { return text }
        }
        for (key, value) in multiValue ?? [:] where key.lowercased() == lowered {
            if let first = (value as? [Any])?.first as? String { return first }
        }
        return nil
    }

    /// `headers` with every spelling of `name` removed and `name` set to `value`, keeping an existing key's spelling.
    private static func replacing(_ name: String, with value: Any, in headers: [String: Any]) -> [String: Any] {
        let lowered = name.lowercased()
        let existing = headers.keys.first { $0.lowercased() == lowered }
        var result = headers.filter { $0.key.lowercased() != lowered }
        result[existing ?? name] = value
        return result
    }
}
