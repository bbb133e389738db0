public import LambdaHTTP
internal import LambdaRuntime
public import WardenJSON

/// The `{ok, data, error}` envelope every function answers with, rendered in one place.
public enum Envelope {
    /// `{"ok":true,"data":…,"error":null}`, plus `"meta"` when given.
    public static func success(data: JSON, meta: JSONObject? = nil) -> [UInt8] {
        var envelope = JSONWriter()
        envelope.beginObject()
        envelope.key("ok")
        envelope.bool(true)
        envelope.key("data")
        envelope.value(data)
        envelope.key("error")
        envelope.null()
        if let meta {
            envelope.key("meta")
            envelope.object(meta)
        }
        envelope.endObject()
        return envelope.bytes
    }

    /// `{"ok":false,"data":null,"error":{"code","message"}}`, plus `meta.rateLimit` when the error carries one.
    public static func failure(_ error: EnvelopeError) -> [UInt8] {
        var envelope = JSONWriter()
        envelope.beginObject()
        envelope.key("ok")
        envelope.bool(false)
        envelope.key("data")
        envelope.null()
        envelope.key("error")
        envelope.beginObject()
        envelope.key("code")
        envelope.string(error.code.rawValue)
        envelope.key("message")
        envelope.string(error.message)
        envelope.endObject()
        if let rate = error.rateLimit {
            envelope.key("meta")
            envelope.beginObject()
            envelope.key("rateLimit")
            envelope.beginObject()
            envelope.key("limit")
            envelope.int(rate.limit)
            envelope.key("remaining")
            envelope.int(rate.remaining)
            envelope.key("resetAt")
            envelope.string(Timestamp.iso8601(milliseconds: rate.resetAtMilliseconds))
            envelope.endObject()
            envelope.endObject()
        }
        envelope.endObject()
        return envelope.bytes
    }
}

extension HTTPResponse {
    /// A success envelope with `status` and `headers`.
    public static func success(data: JSON, meta: JSONObject? = nil, status: Int = 200, headers: [(String, String)]) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: .bytes(Envelope.success(data: data, meta: meta)))
    }

    /// A failure envelope with the code's status; `headers` plus `Retry-After` and `Allow` when the error carries
    /// them.
    public static func failure(_ error: EnvelopeError, headers: [(String, String)]) -> HTTPResponse {
        var headers = headers
        if let retry = error.rateLimit?.retryAfterSeconds { headers.append(("Retry-After", String(retry))) }
        if let methods = error.allowedMethods { headers.append(("Allow", methods.joined(separator: ", "))) }
        return HTTPResponse(status: error.code.status, headers: headers, body: .bytes(Envelope.failure(error)))
    }
}
