internal import Bytes
internal import WardenCrypto
internal import WardenJSON

/// Verifies bearer JWTs (RFC 7519 / JWS compact serialization, RFC 7515) such as the access tokens Supabase issues.
///
/// The algorithms a token may use follow from the configuration alone, never from the token: `HS256` only when an
/// HMAC secret is set, `RS256` / `ES256` only when the JWKS holds a key of that type. A token's public key always
/// comes from the configured JWKS (the `jwk`, `jku` and `x5u` headers are never used), and a JWKS key is never used
/// as an HMAC secret.
public struct JWTVerifier: Sendable {
    /// Shortest HMAC secret that enables `HS256` (RFC 7518 §3.2: at least the hash size). Supabase project secrets
    /// are longer.
    public static let minimumHMACSecretBytes = 32

    /// Parsing limits for header and payload: duplicate members are refused (a second `sub` or `role` could otherwise
    /// be read differently by another parser), nesting is shallow.
    static let parseOptions = JSONParseOptions(maxDepth: 16, rejectDuplicateKeys: true)

    /// Clock skew tolerated unless configured otherwise, in seconds.
    public static let defaultLeewaySeconds: Int64 = 30
    /// Largest clock skew a setting may ask for, in seconds: a leeway extends every token's lifetime by as much.
    public static let maximumLeewaySeconds: Int64 = 300

    private let hmacSecret: [UInt8]?
    /// The JWKS that `RS256` and `ES256` tokens are verified against.
    public let keySet: JWKSet?
    /// Exact value required of `iss`, when set.
    public let issuer: String?
    /// Value that `aud` (a string or an array of strings) must contain, when set.
    public let audience: String?
    /// Clock skew tolerated for `exp`, `nbf` and `iat`, in seconds (never negative).
    public let leewaySeconds: Int64
    /// Longest token accepted, in bytes.
    public let maxTokenBytes: Int
    /// The algorithms this configuration accepts.
    public let allowedAlgorithms: Set<JWTAlgorithm>

    /// Creates a verifier.
    ///
    /// - Parameters:
    ///   - hmacSecret: the shared `HS256` secret (Supabase's "JWT secret", as its UTF-8 bytes). A secret shorter than
    ///     `minimumHMACSecretBytes` leaves `HS256` disabled: check `allowedAlgorithms` to report a misconfiguration.
    ///   - keySet: public keys for `RS256` / `ES256`.
    ///   - issuer: when set, `iss` must be exactly this.
    ///   - audience: when set, `aud` must be this or an array containing it.
    ///   - leewaySeconds: clock skew tolerated for `exp`, `nbf` and `iat` (negative values count as 0).
    ///   - maxTokenBytes: longer tokens are refused with `.tooLarge` before any decoding.
    public init(
        hmacSecret: [UInt8]? = nil, keySet: JWKSet? = nil, issuer: String? = nil, audience: String? = nil,
        leewaySeconds: Int64 = defaultLeewaySeconds, maxTokenBytes: Int = 8192
    ) {
        let secret = hmacSecret.flatMap { $0.count >= Self.minimumHMACSecretBytes ? $0 : nil }
        self.hmacSecret = secret
        self.keySet = keySet
        self.issuer = issuer
        self.audience = audience
        self.leewaySeconds = max(0, leewaySeconds)
        self.maxTokenBytes = maxTokenBytes
        var allowed = Set<JWTAlgorithm>()
        if secret != nil { allowed.insert(.hs256) }
        for key in keySet?.keys ?? [] {
            switch key.material {
            case .rsa: allowed.insert(.rs256)
            case .p256: allowed.insert(.es256)
            }
        }
        self.allowedAlgorithms = allowed
    }

    /// The leeway a setting (such as `JWT_CLOCK_LEEWAY_SECONDS`) asks for: a whole number of seconds from 0 to
    /// `maximumLeewaySeconds`, in ASCII decimal digits only (no sign, space, fraction or unit), else `nil`.
    public static func leewaySeconds(setting: String) -> Int64? {
        let digits = setting.utf8
        guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let seconds = Int64(setting), seconds <= maximumLeewaySeconds
        else { return nil }
        return seconds
    }

    /// Verifies `token` at time `nowSeconds` (seconds since the epoch) and returns its claims.
    ///
    /// Checks, in order: size; three base64url segments; header (`alg` enabled here and never `none`, `typ` `JWT`
    /// if present, no `crit`, `kid` a string if present); signature (HMAC in constant time, or the JWKS key chosen by
    /// `kid`); payload a JSON object without repeated members; `exp` (required) after `now − leeway`; `nbf` and
    /// `iat` (if present) not after `now + leeway`; `iss` and `aud` as configured; `sub` a non-empty string.
    public func verify(token: String, nowSeconds: Int64) throws(JWTError) -> JWTClaims {
        try verify(token: token, nowSeconds: nowSeconds, resolves: false) { _, _ in nil }
    }

    /// Verifies `token` as `verify(token:nowSeconds:)` does, except that an `RS256` / `ES256` token is checked
    /// against the key set `keys` returns for its algorithm and `kid` (a JWKS fetched from the issuer's URL, see
    /// `RemoteKeySet`) instead of the configured one: the algorithm is accepted when that set holds a key of its type.
    /// `keys` is called only for those algorithms, after the header was read, and never for `HS256`, which only ever
    /// uses the configured secret.
    public func verify(
        token: String, nowSeconds: Int64, keys: (JWTAlgorithm, String?) -> JWKSet?
    ) throws(JWTError) -> JWTClaims {
        try verify(token: token, nowSeconds: nowSeconds, resolves: true, resolver: keys)
    }

    private func verify(
        token: String, nowSeconds: Int64, resolves: Bool, resolver: (JWTAlgorithm, String?) -> JWKSet?
    ) throws(JWTError) -> JWTClaims {
        let bytes = Array(token.utf8)
        guard bytes.count <= maxTokenBytes else { throw JWTError(.tooLarge) }

        // Exactly three segments: header.payload.signature
        var dots: [Int] = []
        for index in bytes.indices where bytes[index] == UInt8(ascii: ".") {
            dots.append(index)
            guard dots.count <= 2 else { throw JWTError(.malformed) }
        }
        guard dots.count == 2 else { throw JWTError(.malformed) }
        let headerSegment = bytes[..<dots[0]]
        let payloadSegment = bytes[(dots[0] + 1)..<dots[1]]
        let signatureSegment = bytes[(dots[1] + 1)...]
        guard !headerSegment.isEmpty, !payloadSegment.isEmpty,
            let headerBytes = Base64.urlUnpadded.decode(headerSegment),
            let payloadBytes = Base64.urlUnpadded.decode(payloadSegment),
            let signature = Base64.urlUnpadded.decode(signatureSegment)
        else { throw JWTError(.malformed) }

        let header = try Self.parseObject(headerBytes)
        let (algorithm, keyID) = try Self.readHeader(header)
        var keys = keySet
        if resolves, algorithm != .hs256 {
            keys = resolver(algorithm, keyID)
            guard keys?.keys.contains(where: { $0.suits(algorithm) }) == true else { throw JWTError(.unknownKey) }
        } else {
            guard allowedAlgorithms.contains(algorithm) else { throw JWTError(.unsupportedAlgorithm) }
        }
        try verifySignature(
            algorithm: algorithm, keyID: keyID, keys: keys, signingInput: bytes[..<dots[1]], signature: signature)

        let payload = try Self.parseObject(payloadBytes)
        return try checkClaims(payload, algorithm: algorithm, keyID: keyID, nowSeconds: nowSeconds)
    }

    /// The token of an `Authorization: Bearer <token>` header value (the scheme is case-insensitive), or `nil` for
    /// any other scheme, an empty token, or a token containing spaces.
    public static func bearerToken(authorizationHeader value: String) -> String? {
        let bytes = Array(value.utf8)
        let scheme = Array("bearer".utf8)
        guard bytes.count > scheme.count + 1,
            zip(bytes, scheme).allSatisfy({ $0 | 0x20 == $1 }),
            bytes[scheme.count] == UInt8(ascii: " ")
        else { return nil }
        var start = scheme.count
        while start < bytes.count, bytes[start] == UInt8(ascii: " ") {
            start += 1
        }
        var end = bytes.count
        while end > start, bytes[end - 1] == UInt8(ascii: " ") {
            end -= 1
        }
        let token = bytes[start..<end]
        guard !token.isEmpty, token.allSatisfy({ $0.isASCIIGraphic }) else { return nil }
        return String(decoding: token, as: UTF8.self)
    }

    // MARK: - Steps

    /// A JSON object from decoded header or payload bytes, or `.malformed`.
    private static func parseObject(_ bytes: [UInt8]) throws(JWTError) -> JSONObject {
        let value: JSON
        do {
            value = try JSON.parse(bytes, options: parseOptions)
        } catch {
            throw JWTError(.malformed)
        }
        guard let object = value.objectValue else { throw JWTError(.malformed) }
        return object
    }

    /// The header's algorithm and key ID.
    private static func readHeader(_ header: JSONObject) throws(JWTError) -> (JWTAlgorithm, String?) {
        guard let name = header["alg"]?.stringValue else { throw JWTError(.malformed) }
        // Names are case-sensitive (RFC 7515 §4.1.1), so "none", "None", "NONE" and "hs256" all end up here.
        guard let algorithm = JWTAlgorithm(rawValue: name) else { throw JWTError(.unsupportedAlgorithm) }
        if let type = header["typ"] {
            guard let text = type.stringValue, text.equalsIgnoringASCIICase("JWT") else { throw JWTError(.malformed) }
        }
        // No extension is understood, so any critical one must be refused (RFC 7515 §4.1.11).
        guard header["crit"] == nil else { throw JWTError(.malformed) }
        var keyID: String?
        if let kid = header["kid"] {
            guard let text = kid.stringValue else { throw JWTError(.malformed) }
            keyID = text
        }
        return (algorithm, keyID)
    }

    /// Checks the signature over `header.payload` as received.
    private func verifySignature(
        algorithm: JWTAlgorithm, keyID: String?, keys: JWKSet?, signingInput: ArraySlice<UInt8>, signature: [UInt8]
    ) throws(JWTError) {
        let valid: Bool
        switch algorithm {
        case .hs256:
            // Only ever the configured secret: never key material from the JWKS or the token.
            guard let hmacSecret else { throw JWTError(.unsupportedAlgorithm) }
            valid = Crypto.constantTimeEqual(Crypto.hmacSHA256(key: hmacSecret, message: signingInput), signature)
        case .rs256, .es256:
            guard let key = keys?.signingKey(for: algorithm, keyID: keyID) else { throw JWTError(.unknownKey) }
            switch key.material {
            case .rsa(let modulus, let exponent) where algorithm == .rs256:
                valid = Crypto.verifyRS256(modulus: modulus, exponent: exponent, message: signingInput, signature: signature)
            case .p256(let x, let y) where algorithm == .es256:
                valid = Crypto.verifyES256(x: x, y: y, message: signingInput, signature: signature)
            default:
                throw JWTError(.unknownKey)
            }
        }
        guard valid else { throw JWTError(.badSignature) }
    }

    /// Validates the registered claims and collects the ones the application uses.
    private func checkClaims(
        _ payload: JSONObject, algorithm: JWTAlgorithm, keyID: String?, nowSeconds: Int64
    ) throws(JWTError) -> JWTClaims {
        let earliest = Self.saturating(nowSeconds.subtractingReportingOverflow(leewaySeconds), overflowTo: .min)
        let latest = Self.saturating(nowSeconds.addingReportingOverflow(leewaySeconds), overflowTo: .max)

        guard let expiresAt = try Self.numericDate(payload["exp"], rounding: .down) else { throw JWTError(.malformed) }
        guard expiresAt > earliest else { throw JWTError(.expired) }
        let notBefore = try Self.numericDate(payload["nbf"], rounding: .up)
        if let notBefore, notBefore > latest { throw JWTError(.notYetValid) }
        let issuedAt = try Self.numericDate(payload["iat"], rounding: .up)
        if let issuedAt, issuedAt > latest { throw JWTError(.notYetValid) }

        let tokenIssuer = try Self.optionalString(payload["iss"])
        if let issuer {
            guard let tokenIssuer, tokenIssuer.utf8.elementsEqual(issuer.utf8) else { throw JWTError(.wrongIssuer) }
        }

        let tokenAudience: [String]
        switch payload["aud"] {
        case nil: tokenAudience = []
        case .string(let single): tokenAudience = [single]
        case .array(let list):
            var names: [String] = []
            for element in list {
                guard let name = element.stringValue else { throw JWTError(.malformed) }
                names.append(name)
            }
            tokenAudience = names
        default: throw JWTError(.malformed)
        }
        if let audience {
            guard tokenAudience.contains(where: { $0.utf8.elementsEqual(audience.utf8) }) else {
                throw JWTError(.wrongAudience)
            }
        }

        guard let subject = payload["sub"]?.stringValue, !subject.isEmpty else { throw JWTError(.missingSubject) }

        return JWTClaims(
            subject: subject, issuer: tokenIssuer, audience: tokenAudience, expiresAt: expiresAt, issuedAt: issuedAt,
            notBefore: notBefore, role: try Self.optionalString(payload["role"]),
            email: try Self.optionalString(payload["email"]), algorithm: algorithm, keyID: keyID, raw: payload)
    }

    // MARK: - Helpers

    /// A NumericDate claim (RFC 7519 §2) as whole seconds: `nil` when absent, `.malformed` when not a number or out
    /// of range. Fractions are rounded by `rule`, which callers choose so that rounding never widens validity.
    private static func numericDate(_ value: JSON?, rounding rule: FloatingPointRoundingRule) throws(JWTError) -> Int64? {
        switch value {
        case nil: return nil
        case .int(let seconds): return seconds
        case .double(let seconds):
            guard let whole = Int64(exactly: seconds.rounded(rule)) else { throw JWTError(.malformed) }
            return whole
        default: throw JWTError(.malformed)
        }
    }

    /// A claim that must be a string when present.
    private static func optionalString(_ value: JSON?) throws(JWTError) -> String? {
        guard let value else { return nil }
        guard let text = value.stringValue else { throw JWTError(.malformed) }
        return text
    }

    private static func saturating(_ result: (partialValue: Int64, overflow: Bool), overflowTo limit: Int64) -> Int64 {
        result.overflow ? limit : result.partialValue
    }
}

extension JWTVerifier: CustomStringConvertible, CustomReflectable {
    /// The enabled algorithms and limits; never the secret or any key.
    public var description: String {
        let names = JWTAlgorithm.allCases.filter { allowedAlgorithms.contains($0) }.map(\.rawValue)
        return "JWTVerifier(algorithms: \(names), leeway: \(leewaySeconds)s, maxTokenBytes: \(maxTokenBytes))"
    }

    /// A mirror without the secret.
    public var customMirror: Mirror {
        Mirror(self, children: ["allowedAlgorithms": allowedAlgorithms, "leewaySeconds": leewaySeconds], displayStyle: .struct)
    }
}
