internal import Auth
internal import Bytes
internal import FuzzSupport
internal import WardenCrypto
internal import WardenJSON

/// JWT parsing and verification (`Auth`): tokens, base64url, JWK / JWKS documents, bearer headers, and HS256 / RS256 /
/// ES256 signatures under fixed keys (the RSA and P-256 keys of Tests/AuthTests/Vectors.swift, whose tokens seed the
/// corpus; their private keys were discarded).
///
/// Input: a mode byte, a line feed, then the mode's data:
/// - `t` a token, verified by a strict verifier (HS256 secret + JWKS, issuer and audience required) and a lax one
///   (no issuer or audience);
/// - `h` a header JSON line and a payload JSON (the rest), which the harness signs with the HS256 secret, so the
///   fuzzer gets past the signature to the header and claim checks;
/// - `k` a JWKS document: parsed, every key re-encoded and parsed again, then used to verify a fixed RS256 token;
/// - `b` an `Authorization` header value for `bearerToken`;
/// - `u` base64url text;
/// - `s` raw signature bytes checked against the fixed RSA and EC keys over a fixed message.
///
/// Invariants: a verified token's claims re-parse from its payload segment and satisfy the configured rules; every
/// accepted segment is the canonical base64url of its bytes; a harness-signed HS256 token fails only for a reason
/// other than its signature, and with one signature bit flipped it never verifies; strict acceptance implies lax
/// acceptance; only `rsa-a`'s modulus verifies an `rsa-a` token; bearer tokens are what follows the scheme, trimmed.
enum JWTFuzz {
    static let now: Int64 = 1_700_000_000
    static let secret = Array("warden-test-hs256-secret-0123456789abcdef".utf8)
    static let issuer = "https://proj.supabase.co/auth/v1"
    static let audience = "authenticated"
    static let jwks =
        #"{"keys":[{"kty":"RSA","kid":"rsa-a","n":"0g8jr0uBwFtyuiY4oKO1oUy1ds-jIKsDe8xUNohvWQbnVKX4ai6k9kiHY_b"#
        + #"5YnckKXzzYldFtyPj9NSyb_1mC92jMRPurbsmxz88KkLZviv31jQnH60gtt8qDyqzDr6NDq1qMXmLM8cyLeX7gg-FaGpUN_mF9fi"#
        + #"AUKemMfNkkE7N7XQaeVyCEtTIb2BeMVwPshDuKmWuWS6RWrL0Pd4Sryso-8rjAjaHYcGks4Gj_j10T-W_KdvjjKQmoxYeFLvAZe4"#
        + #"Qz8HVWK3bNvxgO7dwk3MsdIyxWk_bERbpZeT1eY8kl3-YAmkU722RlrUkjYBRSvPDfGER6RpqtCy_hhgrnQ","e":"AQAB","alg"#
        + #"":"RS256","use":"sig"},{"kty":"EC","crv":"P-256","kid":"ec-1","x":"EaWiFbeWElQ6ZtiOY46Jxs_uUtrTi_laX"#
        + #"fCQ5j5lgCQ","y":"q0MSWrYg3Id6o4O-1u7gxw8lJiM1dKOTG8zS7QQ3fus","alg":"ES256","use":"sig"}]}"#
    /// `rsa-a`'s token from Tests/AuthTests/Vectors.swift (`rs256Valid`).
    static let rsaToken =
        #"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InJzYS1hIn0.eyJzdWIiOiJ1c2VyLTEyMyIsImlzcyI6Imh0dHBzOi8v"#
        + #"cHJvai5zdXBhYmFzZS5jby9hdXRoL3YxIiwiYXVkIjoiYXV0aGVudGljYXRlZCIsImV4cCI6MTcwMDAwMzYwMCwiaWF0IjoxNjk5"#
        + #"OTk5OTQwLCJyb2xlIjoiYXV0aGVudGljYXRlZCIsImVtYWlsIjoiYWxpY2VAZXhhbXBsZS5jb20ifQ.ER05Wtg01x2LAedXrXJQg"#
        + #"jpzeBBrxyUZs4q05IWTOaD94znXZhZxdDFtHAtBdKDGyEePiANlprpIwDZq9vsidqjoUNZmcn15Bn_wjl-h2eJ6bh3hNJMnks3Um"#
        + #"TvVsDx5rKaVnyR6DwWgSsTpjzznia9Z2AlTO3fr5m3Ncjju_UYVFOBKMNUfTxQCa2vGfq9_M-mJHgr4k4zh3D_WyoPDE5mGO0yJ4"#
        + #"3L2c7SvHbj2Ha18JEQX8xt1qR-kF7u2LbS9vU8ikSfmr6LAM65oke1WCIs9GG1i2ixxAJdNtWOdt8bLQ5W1GJP2s9fsybJ0zs5h7"#
        + #"yl-PPIJ-NtM96KidAGXjQ"#
    /// `ec-1`'s token (`es256Valid`).
    static let ecToken =
        #"eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImVjLTEifQ.eyJzdWIiOiJ1c2VyLTEyMyIsImlzcyI6Imh0dHBzOi8vc"#
        + #"HJvai5zdXBhYmFzZS5jby9hdXRoL3YxIiwiYXVkIjoiYXV0aGVudGljYXRlZCIsImV4cCI6MTcwMDAwMzYwMCwiaWF0IjoxNjk5O"#
        + #"Tk5OTQwLCJyb2xlIjoiYXV0aGVudGljYXRlZCIsImVtYWlsIjoiYWxpY2VAZXhhbXBsZS5jb20ifQ.IszbEIhQAmmrQsuOE88wD5"#
        + #"cqvHjBjsfAZly9NDNhUWjFNAJCxnQGdJ9ti1bin4x-R0QevzXI9s9u_dBrybpRow"#

    static let keySet: JWKSet = {
        guard let set = try? JWKSet(json: jwks), set.keys.count == 2 else { fatalError("the fixed JWKS does not parse") }
        return set
    }()
    static let strict = JWTVerifier(hmacSecret: secret, keySet: keySet, issuer: issuer, audience: audience)
    /// The same keys and leeway without issuer and audience.
    static let lax = JWTVerifier(hmacSecret: secret, keySet: keySet)
    static let parseOptions = JSONParseOptions(maxDepth: 16, rejectDuplicateKeys: true)

    static func run(_ input: [UInt8]) {
        guard input.count >= 2, input[1] == 0x0A else { return }
        let data = Array(input[2...])
        switch input[0] {
        case UInt8(ascii: "t"): token(String(decoding: data, as: UTF8.self))
        case UInt8(ascii: "h"): harnessSigned(data)
        case UInt8(ascii: "k"): keySetDocument(data)
        case UInt8(ascii: "b"): bearer(String(decoding: data, as: UTF8.self))
        case UInt8(ascii: "u"): base64url(data)
        case UInt8(ascii: "s"): rawSignature(data)
        default: break
        }
    }

    // MARK: Tokens

    /// Verifies `token` with both verifiers and checks the claims of an accepted one. Returns the strict outcome.
    @discardableResult
    static func token(_ token: String) -> Result<JWTClaims, JWTError> {
        let strictResult = verify(strict, token)
        let laxResult = verify(lax, token)
        if case .success(let claims) = strictResult {
            checkClaims(claims, token: token, verifier: strict)
            guard case .success(let laxClaims) = laxResult else {
                Fuzz.check(false, "accepted by the strict verifier, refused by the lax one")
                return strictResult
            }
            Fuzz.check(laxClaims == claims, "strict and lax claims differ")
        }
        if case .success(let claims) = laxResult { checkClaims(claims, token: token, verifier: lax) }
        if case .failure(let error) = strictResult {
            Fuzz.check(token.utf8.count < 8 || !error.description.utf8.containsBytes(token.utf8), "error text includes the token")
        }
        if token.utf8.count <= 4096, !token.isEmpty, !token.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F }) {
            Fuzz.check(JWTVerifier.bearerToken(authorizationHeader: "Bearer " + token) == token, "bearer round trip")
        }
        return strictResult
    }

    static func verify(_ verifier: JWTVerifier, _ token: String) -> Result<JWTClaims, JWTError> {
        do {
            return .success(try verifier.verify(token: token, nowSeconds: now))
        } catch {
            return .failure(error)
        }
    }

    /// An accepted token: canonical segments, claims equal to its re-parsed payload, registered claims within the
    /// rules, and the header's algorithm.
    static func checkClaims(_ claims: JWTClaims, token: String, verifier: JWTVerifier) {
        let segments = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard segments.count == 3 else {
            Fuzz.check(false, "accepted a token without three segments")
            return
        }
        var decoded: [[UInt8]] = []
        for segment in segments {
            guard let bytes = Base64.urlUnpadded.decode(segment) else {
                Fuzz.check(false, "accepted a segment that is not base64url")
                return
            }
            Fuzz.check(Base64.urlUnpadded.encode(bytes).utf8.elementsEqual(segment), "accepted a non-canonical segment")
            decoded.append(bytes)
        }
        guard case .object(let header)? = try? JSON.parse(decoded[0], options: parseOptions),
            case .object(let payload)? = try? JSON.parse(decoded[1], options: parseOptions)
        else {
            Fuzz.check(false, "accepted header or payload does not re-parse")
            return
        }
        Fuzz.check(payload == claims.raw, "claims.raw is not the payload")
        Fuzz.check(header["alg"]?.stringValue == claims.algorithm.rawValue, "algorithm is not the header's")
        Fuzz.check(header["crit"] == nil, "accepted a crit header")
        Fuzz.check(verifier.allowedAlgorithms.contains(claims.algorithm), "accepted a disabled algorithm")
        Fuzz.check(!claims.subject.isEmpty && payload["sub"]?.stringValue == claims.subject, "subject")
        Fuzz.check(claims.expiresAt > now - verifier.leewaySeconds, "accepted an expired token")
        if let nbf = claims.notBefore { Fuzz.check(nbf <= now + verifier.leewaySeconds, "accepted before nbf") }
        if let iat = claims.issuedAt { Fuzz.check(iat <= now + verifier.leewaySeconds, "accepted before iat") }
        if let issuer = verifier.issuer { Fuzz.check(claims.issuer == issuer, "issuer") }
        if let audience = verifier.audience { Fuzz.check(claims.audience.contains(audience), "audience") }
        Fuzz.check(claims.keyID == header["kid"]?.stringValue, "kid")
        // What may be logged is made of the algorithm, role and expiry only (no subject, e-mail or other claim).
        let safe = "JWTClaims(alg: \(claims.algorithm.rawValue), role: \(claims.role ?? "-"), exp: \(claims.expiresAt))"
        Fuzz.check(claims.description == safe && String(reflecting: claims) == safe, "claims description shows more")
    }

    /// HS256-signs `header` and `payload` (line feed between) with the configured secret and verifies.
    static func harnessSigned(_ data: [UInt8]) {
        let parts = Fuzz.fields(data, count: 2)
        let input = Base64.urlUnpadded.encode(parts[0]) + "." + Base64.urlUnpadded.encode(parts[1])
        var mac = Crypto.hmacSHA256(key: secret, message: Array(input.utf8))
        let signed = input + "." + Base64.urlUnpadded.encode(mac)
        let outcome = token(signed)
        let headerAlgorithm = (try? JSON.parse(parts[0], options: parseOptions))?["alg"]?.stringValue
        if case .failure(let error) = outcome, headerAlgorithm == "HS256" {
            Fuzz.check(error.code != .badSignature, "a correctly signed HS256 token failed its signature")
        }
        if case .success = outcome {
            Fuzz.check(headerAlgorithm == "HS256", "a harness-signed token verified under another algorithm")
            mac[Int(parts[1].count % 32)] ^= 0x01
            let tampered = input + "." + Base64.urlUnpadded.encode(mac)
            guard case .failure(let error) = verify(strict, tampered) else {
                Fuzz.check(false, "a token with a flipped signature bit verified")
                return
            }
            Fuzz.check(error.code == .badSignature, "flipped signature bit reported as \(error.code)")
        }
    }

    // MARK: Keys

    /// A JWKS document: keys within the documented limits, stable under re-encoding, and only `rsa-a`'s modulus
    /// verifying `rsa-a`'s token.
    static func keySetDocument(_ data: [UInt8]) {
        guard let set = try? JWKSet(json: data) else { return }
        var reencoded: [JSON] = []
        for key in set.keys {
            var member = JSONObject()
            switch key.material {
            case .rsa(let modulus, let exponent):
                let bits = bitLength(modulus)
                Fuzz.check(bits >= Crypto.minimumRSAModulusBits && bits <= Crypto.maximumRSAModulusBits, "RSA modulus size")
                Fuzz.check(!exponent.isEmpty, "empty RSA exponent")
                member["kty"] = "RSA"
                member["n"] = .string(Base64.urlUnpadded.encode(modulus))
                member["e"] = .string(Base64.urlUnpadded.encode(exponent))
            case .p256(let x, let y):
                Fuzz.check(x.count == 32 && y.count == 32, "P-256 coordinate size")
                member["kty"] = "EC"
                member["crv"] = "P-256"
                member["x"] = .string(Base64.urlUnpadded.encode(x))
                member["y"] = .string(Base64.urlUnpadded.encode(y))
            }
            if let kid = key.keyID {
                member["kid"] = .string(kid)
                Fuzz.check(set.key(withID: kid) != nil, "key(withID:) misses a key's own kid")
            }
            if let alg = key.algorithm { member["alg"] = .string(alg) }
            reencoded.append(.object(member))
        }
        let again = try? JWKSet(json: JSON.object(["keys": .array(reencoded)]).serialized())
        Fuzz.check(again == set, "a key set re-encoded parses differently")

        let verifier = JWTVerifier(keySet: set)
        if case .success = verify(verifier, rsaToken) {
            let rsaA = keySet.keys[0]
            Fuzz.check(set.keys.contains { $0.material == rsaA.material && $0.keyID == "rsa-a" }, "rsa-a's token verified by another key")
        }
        if case .success = verify(verifier, ecToken) {
            let ec1 = keySet.keys[1]
            Fuzz.check(set.keys.contains { $0.material == ec1.material && $0.keyID == "ec-1" }, "ec-1's token verified by another key")
        }
    }

    static func bitLength(_ bytes: [UInt8]) -> Int {
        guard let first = bytes.firstIndex(where: { $0 != 0 }) else { return 0 }
        return (bytes.count - first - 1) * 8 + (8 - bytes[first].leadingZeroBitCount)
    }

    // MARK: Small parsers

    /// `Bearer <token>`: the token is the rest, spaces trimmed, non-empty, printable ASCII without spaces.
    static func bearer(_ header: String) {
        guard let token = JWTVerifier.bearerToken(authorizationHeader: header) else { return }
        let bytes = Array(header.utf8)
        Fuzz.check(!token.isEmpty && !token.utf8.contains { $0 <= 0x20 || $0 >= 0x7F }, "bearer token with spaces or controls")
        Fuzz.check(bytes.count > 7 && bytes[..<6].map { $0 | 0x20 }.elementsEqual("bearer".utf8) && bytes[6] == 0x20, "bearer scheme")
        var rest = bytes[7...]
        while rest.first == 0x20 { rest = rest.dropFirst() }
        while rest.last == 0x20 { rest = rest.dropLast() }
        Fuzz.check(rest.elementsEqual(token.utf8), "bearer token is not the trimmed rest")
    }

    /// Strict base64url: what decodes is the canonical encoding of its bytes, and every byte string round-trips.
    static func base64url(_ data: [UInt8]) {
        if let bytes = Base64.urlUnpadded.decode(data) {
            Fuzz.check(Base64.urlUnpadded.encode(bytes).utf8.elementsEqual(data), "base64url accepted a non-canonical text")
        }
        Fuzz.check(Base64.urlUnpadded.decode(Base64.urlUnpadded.encode(data)) == data, "base64url round trip")
    }

    /// Arbitrary signature bytes against the fixed keys: they never verify the fixed message (unless they are the
    /// fixed tokens' own signatures over their own signing input).
    static func rawSignature(_ data: [UInt8]) {
        let message = Array("fuzz.message".utf8)
        for key in keySet.keys {
            switch key.material {
            case .rsa(let modulus, let exponent):
                Fuzz.check(!Crypto.verifyRS256(modulus: modulus, exponent: exponent, message: message, signature: data), "RS256 forged")
            case .p256(let x, let y):
                Fuzz.check(!Crypto.verifyES256(x: x, y: y, message: message, signature: data), "ES256 forged")
            }
        }
    }
}

@main struct JWTFuzzMain {
    static func main() { Fuzz.main(JWTFuzz.run) }
}
