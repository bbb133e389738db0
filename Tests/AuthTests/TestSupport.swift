import Auth
import Bytes
import WardenCrypto

/// Builds tokens in the tests (HS256 is deterministic, so Swift-built tokens are as good as fixed vectors) and reads
/// errors back.
enum TestSupport {
    static let now = Vectors.now
    static let secret = Array("warden-test-hs256-secret-0123456789abcdef".utf8)
    static let issuer = "https://proj.supabase.co/auth/v1"
    static let hsHeader = #"{"alg":"HS256","typ":"JWT"}"#

    /// A payload whose members are given as raw JSON text (`nil` leaves the member out).
    static func payload(
        sub: String? = #""user-123""#, iss: String? = #""https://proj.supabase.co/auth/v1""#,
        aud: String? = #""authenticated""#, exp: String? = "\(now + 3600)", nbf: String? = nil,
        iat: String? = "\(now - 60)", extra: String = #""role":"authenticated","email":"alice@example.com""#
    ) -> String {
        var members: [String] = []
        if let sub { members.append(#""sub":\#(sub)"#) }
        if let iss { members.append(#""iss":\#(iss)"#) }
        if let aud { members.append(#""aud":\#(aud)"#) }
        if let exp { members.append(#""exp":\#(exp)"#) }
        if let nbf { members.append(#""nbf":\#(nbf)"#) }
        if let iat { members.append(#""iat":\#(iat)"#) }
        if !extra.isEmpty { members.append(extra) }
        var text = "{"
        for (index, member) in members.enumerated() {
            if index > 0 { text += "," }
            text += member
        }
        return text + "}"
    }

    static func segment(_ json: String) -> String { Base64.urlUnpadded.encode(Array(json.utf8)) }

    /// `header.payload.signature` with an HMAC-SHA256 signature under `key`.
    static func hs256(header: String = hsHeader, payload: String = payload(), key: [UInt8] = secret) -> String {
        let input = segment(header) + "." + segment(payload)
        return input + "." + Base64.urlUnpadded.encode(Crypto.hmacSHA256(key: key, message: Array(input.utf8)))
    }

    /// The HS256-only verifier most tests use.
    static func hsVerifier(issuer: String? = nil, audience: String? = nil, maxTokenBytes: Int = 8192) -> JWTVerifier {
        JWTVerifier(hmacSecret: secret, issuer: issuer, audience: audience, maxTokenBytes: maxTokenBytes)
    }

    static func keySet() throws -> JWKSet { try JWKSet(json: Vectors.jwks) }

    /// The error code `verify` throws, or `nil` when it accepts the token.
    static func rejection(_ verifier: JWTVerifier, _ token: String, now: Int64 = now) -> JWTError.Code? {
        do {
            _ = try verifier.verify(token: token, nowSeconds: now)
            return nil
        } catch {
            return error.code
        }
    }

    /// The three segments of a token.
    static func segments(_ token: String) -> [String] {
        var parts: [String] = [""]
        for character in token {
            if character == "." { parts.append("") } else { parts[parts.count - 1].append(character) }
        }
        return parts
    }

    /// Rejoins segments.
    static func join(_ parts: [String]) -> String {
        var text = ""
        for (index, part) in parts.enumerated() {
            if index > 0 { text += "." }
            text += part
        }
        return text
    }

    /// Decodes a base64url segment as text (for building variants of fixed tokens).
    static func text(_ segment: String) -> String {
        String(decoding: Base64.urlUnpadded.decode(segment) ?? [], as: UTF8.self)
    }
}
