public import WardenJSON
internal import LambdaRuntime

/// Renders API Gateway proxy responses whose body is the `{ok, data, error}` envelope. The parts (status, headers,
/// envelope body) are also what a streamed response's http-integration prelude and first bytes are made of
/// (`StreamingAPIHandler`).
public enum ProxyResponse {
    /// `{"ok":true,"data":…,"error":null}` (plus `"meta"` when given) with `status` (200 by default).
    public static func success(data: JSON, meta: JSONObject? = nil, status: Int = 200, headers: [(String, String)]) -> [UInt8] {
        render(status: status, headers: headers, body: successBody(data: data, meta: meta))
    }

    /// `{"ok":false,"data":null,"error":{"code","message"}}` with the code's status.
    public static func failure(_ error: EnvelopeError, headers: [(String, String)]) -> [UInt8] {
        let parts = failureParts(error, headers: headers)
        return render(status: parts.status, headers: parts.headers, body: parts.body)
    }

    /// An empty-bodied response (the CORS preflight's 204).
    public static func empty(status: Int, headers: [(String, String)]) -> [UInt8] {
        render(status: status, headers: headers, body: [])
    }

    /// The success envelope's bytes.
    static func successBody(data: JSON, meta: JSONObject?) -> [UInt8] {
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

    /// The status, headers (`headers` plus `Retry-After` / `Allow` when the error carries them) and envelope bytes
    /// of an error response.
    static func failureParts(_ error: EnvelopeError, headers: [(String, String)]) -> (status: Int, headers: [(String, String)], body: [UInt8]) {
        var headers = headers
        if let retry = error.rateLimit?.retryAfterSeconds { headers.append(("Retry-After", String(retry))) }
        if let methods = error.allowedMethods { headers.append(("Allow", methods.joined(separator: ", "))) }
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
        return (error.code.status, headers, envelope.bytes)
    }

    /// The proxy response for an envelope already rendered (`body`, byte for byte), e.g. a stored idempotent answer.
    static func render(status: Int, headers: [(String, String)], body: [UInt8]) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("statusCode")
        w.int(Int64(status))
        w.key("headers")
        w.beginObject()
        for (name, value) in headers {
            w.key(name)
            w.string(value)
        }
        w.endObject()
        w.key("body")
        w.string(String(decoding: body, as: UTF8.self))
        w.key("isBase64Encoded")
        w.bool(false)
        w.endObject()
        return w.bytes
    }
}
