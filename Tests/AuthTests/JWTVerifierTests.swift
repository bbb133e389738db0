import Auth
import Testing
import WardenJSON

/// Structure, header and claim checks, with HS256 tokens.
@Suite("JWTVerifier (HS256, structure, claims)")
struct JWTVerifierTests {
    typealias T = TestSupport
    let verifier = T.hsVerifier(issuer: T.issuer, audience: "authenticated")

    // MARK: Valid tokens

    @Test func acceptsAValidToken() throws {
        let claims = try verifier.verify(token: T.hs256(), nowSeconds: T.now)
        #expect(claims.subject == "user-123")
        #expect(claims.issuer == T.issuer)
        #expect(claims.audience == ["authenticated"])
        #expect(claims.expiresAt == T.now + 3600)
        #expect(claims.issuedAt == T.now - 60)
        #expect(claims.notBefore == nil)
        #expect(claims.role == "authenticated")
        #expect(claims.email == "alice@example.com")
        #expect(claims.algorithm == .hs256)
        #expect(claims.keyID == nil)
        #expect(claims.raw["sub"] == "user-123")
        #expect(claims.raw.count == 7)
    }

    /// A token made by Python's `hmac` module: the Swift encoding and signing agree with another implementation.
    @Test func acceptsATokenSignedOutsideSwift() throws {
        let claims = try verifier.verify(token: Vectors.hs256Python, nowSeconds: T.now)
        #expect(claims.subject == "user-123")
        #expect(claims.email == "alice@example.com")
    }

    @Test func onlyConfiguredChecksApply() throws {
        // No issuer or audience configured: any (or no) `iss` and `aud` pass.
        let open = T.hsVerifier()
        let token = T.hs256(payload: T.payload(iss: #""https://elsewhere""#, aud: nil))
        let claims = try open.verify(token: token, nowSeconds: T.now)
        #expect(claims.issuer == "https://elsewhere")
        #expect(claims.audience.isEmpty)
        #expect(T.rejection(verifier, token) == .wrongIssuer)
    }

    // MARK: Time

    /// `exp` must be after now − 30 s; `nbf` and `iat` must not be after now + 30 s.
    @Test(arguments: [
        (Int64(-3600), JWTError.Code?.some(.expired)), (-31, .expired), (-30, .expired), (-29, nil), (0, nil), (1, nil),
    ])
    func expiry(offset: Int64, expected: JWTError.Code?) {
        let token = T.hs256(payload: T.payload(exp: "\(T.now + offset)"))
        #expect(T.rejection(verifier, token) == expected)
    }

    @Test(arguments: [(Int64(3600), JWTError.Code?.some(.notYetValid)), (31, .notYetValid), (30, nil), (0, nil), (-100, nil)])
    func notBefore(offset: Int64, expected: JWTError.Code?) {
        let token = T.hs256(payload: T.payload(nbf: "\(T.now + offset)"))
        #expect(T.rejection(verifier, token) == expected)
    }

    @Test(arguments: [(Int64(3600), JWTError.Code?.some(.notYetValid)), (31, .notYetValid), (30, nil), (-86400, nil)])
    func issuedAt(offset: Int64, expected: JWTError.Code?) {
        let token = T.hs256(payload: T.payload(iat: "\(T.now + offset)"))
        #expect(T.rejection(verifier, token) == expected)
    }

    @Test func leewayIsConfigurable() {
        let strict = JWTVerifier(hmacSecret: T.secret, leewaySeconds: 0)
        #expect(T.rejection(strict, T.hs256(payload: T.payload(exp: "\(T.now)"))) == .expired)
        #expect(T.rejection(strict, T.hs256(payload: T.payload(exp: "\(T.now + 1)"))) == nil)
        #expect(T.rejection(strict, T.hs256(payload: T.payload(nbf: "\(T.now + 1)"))) == .notYetValid)
        let negative = JWTVerifier(hmacSecret: T.secret, leewaySeconds: -100)
        #expect(negative.leewaySeconds == 0)
        #expect(T.rejection(negative, T.hs256(payload: T.payload(exp: "\(T.now)"))) == .expired)
    }

    /// A token that expired 10 s ago, or becomes valid in 10 s: inside the default 30 s, outside a leeway of 0.
    @Test func tenSecondsOfSkewPassOnlyWithALeeway() {
        let expired = T.hs256(payload: T.payload(exp: "\(T.now - 10)"))
        let early = T.hs256(payload: T.payload(nbf: "\(T.now + 10)"))
        let byDefault = JWTVerifier(hmacSecret: T.secret)
        #expect(byDefault.leewaySeconds == JWTVerifier.defaultLeewaySeconds && JWTVerifier.defaultLeewaySeconds == 30)
        #expect(T.rejection(byDefault, expired) == nil)
        #expect(T.rejection(byDefault, early) == nil)
        let strict = JWTVerifier(hmacSecret: T.secret, leewaySeconds: 0)
        #expect(T.rejection(strict, expired) == .expired)
        #expect(T.rejection(strict, early) == .notYetValid)
    }

    @Test(arguments: [("0", Int64?.some(0)), ("30", 30), ("300", 300), ("007", 7), ("5", 5)])
    func leewaySettings(setting: String, expected: Int64?) {
        #expect(JWTVerifier.leewaySeconds(setting: setting) == expected)
    }

    /// Anything but 0–300 in plain ASCII digits is refused (the caller fails initialization; no silent default).
    @Test(arguments: [
        "", "-1", "301", "1000", "99999999999999999999", "+30", " 30", "30 ", "30s", "3.5", "1e2", "0x1e", "thirty",
        "\u{FF13}\u{FF10}", "\u{0663}\u{0660}", "30\u{0}",
    ])
    func invalidLeewaySettings(setting: String) {
        #expect(JWTVerifier.leewaySeconds(setting: setting) == nil)
    }

    @Test func fractionalTimesNeverWidenValidity() throws {
        let claims = try verifier.verify(
            token: T.hs256(payload: T.payload(exp: "\(T.now + 10).9", nbf: "\(T.now - 10).2", iat: "\(T.now).5")),
            nowSeconds: T.now)
        #expect(claims.expiresAt == T.now + 10)
        #expect(claims.notBefore == T.now - 9)
        #expect(claims.issuedAt == T.now + 1)
        // exp = now − 29.5 rounds down to now − 30: expired.
        #expect(T.rejection(verifier, T.hs256(payload: T.payload(exp: "\(T.now - 30).5"))) == .expired)
    }

    @Test(arguments: [
        T.payload(exp: nil), T.payload(exp: #""1700003600""#), T.payload(exp: "null"), T.payload(exp: "true"),
        T.payload(exp: "1e300"), T.payload(nbf: #""0""#), T.payload(iat: "[1]"),
    ])
    func missingOrNonNumericTimesAreMalformed(_ payload: String) {
        #expect(T.rejection(verifier, T.hs256(payload: payload)) == .malformed)
    }

    @Test func extremeClockValuesDoNotOverflow() {
        let token = T.hs256(payload: T.payload(exp: "\(Int64.max)", iat: "\(Int64.min)"))
        #expect(T.rejection(verifier, token, now: .max) == nil)
        #expect(T.rejection(verifier, token, now: .min) == nil)
        #expect(T.rejection(verifier, T.hs256(payload: T.payload(exp: "\(Int64.min)")), now: .min) == .expired)
    }

    // MARK: Issuer, audience, subject

    @Test(arguments: [
        T.payload(iss: #""https://evil.supabase.co/auth/v1""#), T.payload(iss: nil),
        T.payload(iss: #""https://proj.supabase.co/auth/v1/""#), T.payload(iss: #""HTTPS://proj.supabase.co/auth/v1""#),
    ])
    func wrongIssuer(_ payload: String) {
        #expect(T.rejection(verifier, T.hs256(payload: payload)) == .wrongIssuer)
    }

    @Test(arguments: [
        (T.payload(aud: #"["other","authenticated"]"#), JWTError.Code?.none),
        (T.payload(aud: #"["authenticated"]"#), nil),
        (T.payload(aud: #""anon""#), .wrongAudience), (T.payload(aud: #"["anon","x"]"#), .wrongAudience),
        (T.payload(aud: "[]"), .wrongAudience), (T.payload(aud: nil), .wrongAudience),
        (T.payload(aud: #""Authenticated""#), .wrongAudience),
        (T.payload(aud: #"["authenticated",1]"#), .malformed), (T.payload(aud: "7"), .malformed),
    ])
    func audience(payload: String, expected: JWTError.Code?) {
        #expect(T.rejection(verifier, T.hs256(payload: payload)) == expected)
    }

    @Test func audienceArrayIsReturned() throws {
        let claims = try verifier.verify(token: T.hs256(payload: T.payload(aud: #"["a","authenticated"]"#)), nowSeconds: T.now)
        #expect(claims.audience == ["a", "authenticated"])
    }

    @Test(arguments: [T.payload(sub: nil), T.payload(sub: #""""#), T.payload(sub: "42"), T.payload(sub: "null")])
    func missingSubject(_ payload: String) {
        #expect(T.rejection(verifier, T.hs256(payload: payload)) == .missingSubject)
    }

    @Test(arguments: [
        T.payload(extra: #""role":1"#), T.payload(extra: #""email":{"a":1}"#), T.payload(iss: "false"),
    ])
    func optionalStringClaimsOfTheWrongTypeAreMalformed(_ payload: String) {
        #expect(T.rejection(T.hsVerifier(), T.hs256(payload: payload)) == .malformed)
    }

    /// A second `sub` (or `role`) could be read differently by another parser: refused outright.
    @Test(arguments: [
        #"{"sub":"user-123","sub":"admin","exp":\#(T.now + 60)}"#,
        #"{"sub":"user-123","role":"authenticated","role":"service_role","exp":\#(T.now + 60)}"#,
        #"{"sub":"user-123","exp":\#(T.now + 60),"exp":\#(T.now + 999999)}"#,
    ])
    func duplicateClaimsAreMalformed(_ payload: String) {
        #expect(T.rejection(T.hsVerifier(), T.hs256(payload: payload)) == .malformed)
    }

    // MARK: Header and algorithm

    @Test(arguments: ["none", "NONE", "None", "nOnE"])
    func algNoneIsRefused(_ name: String) {
        let header = #"{"alg":"\#(name)","typ":"JWT"}"#
        let unsigned = T.segment(header) + "." + T.segment(T.payload()) + "."
        #expect(T.rejection(verifier, unsigned) == .unsupportedAlgorithm)
        // Not even with a valid HMAC over it.
        #expect(T.rejection(verifier, T.hs256(header: header)) == .unsupportedAlgorithm)
    }

    @Test(arguments: ["hs256", "HS384", "HS512", "PS256", "EdDSA", "", "HS256 "])
    func unknownAlgorithmsAreRefused(_ name: String) {
        #expect(T.rejection(verifier, T.hs256(header: #"{"alg":"\#(name)","typ":"JWT"}"#)) == .unsupportedAlgorithm)
    }

    @Test func hs256NeedsASecret() {
        // A JWKS-only verifier, and one with a secret too short to be safe.
        let jwksOnly = JWTVerifier(keySet: JWKSet(keys: []))
        #expect(jwksOnly.allowedAlgorithms.isEmpty)
        #expect(T.rejection(jwksOnly, T.hs256()) == .unsupportedAlgorithm)
        let weak = JWTVerifier(hmacSecret: Array(T.secret.prefix(31)))
        #expect(weak.allowedAlgorithms.isEmpty)
        #expect(T.rejection(weak, T.hs256(key: Array(T.secret.prefix(31)))) == .unsupportedAlgorithm)
        #expect(JWTVerifier(hmacSecret: Array(T.secret.prefix(32))).allowedAlgorithms == [.hs256])
    }

    @Test(arguments: [
        (#"{"alg":"HS256","typ":"jwt"}"#, JWTError.Code?.none), (#"{"alg":"HS256"}"#, nil),
        (#"{"alg":"HS256","typ":"JwT","kid":"k1"}"#, nil),
        (#"{"alg":"HS256","typ":"at+jwt"}"#, .malformed), (#"{"alg":"HS256","typ":1}"#, .malformed),
        (#"{"alg":"HS256","typ":"JWT","crit":["exp"]}"#, .malformed), (#"{"alg":"HS256","kid":5}"#, .malformed),
        (#"{"typ":"JWT"}"#, .malformed), (#"{"alg":256}"#, .malformed), (#"{"alg":"HS256","alg":"HS256"}"#, .malformed),
        (#"["HS256"]"#, .malformed), (#"{"alg":"HS256""#, .malformed),
    ])
    func headers(header: String, expected: JWTError.Code?) {
        #expect(T.rejection(verifier, T.hs256(header: header)) == expected)
    }

    // MARK: Signature

    @Test func tamperingIsDetected() {
        let parts = T.segments(T.hs256())
        let otherPayload = T.segment(T.payload(sub: #""admin""#))
        let otherHeader = T.segment(#"{"alg":"HS256","typ":"JWT","kid":"x"}"#)
        var signature = Array(parts[2].utf8)
        signature[3] = signature[3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let variants = [
            T.join([parts[0], otherPayload, parts[2]]), T.join([otherHeader, parts[1], parts[2]]),
            T.join([parts[0], parts[1], String(decoding: signature, as: UTF8.self)]),
            T.join([parts[0], parts[1], String(parts[2].dropLast(3))]), T.join([parts[0], parts[1], ""]),
            T.hs256(key: Array("another-secret-that-is-long-enough!!".utf8)),
        ]
        #expect(T.rejection(verifier, T.join(parts)) == nil)
        for token in variants {
            #expect(T.rejection(verifier, token) == .badSignature)
        }
    }

    // MARK: Structure

    @Test(arguments: [
        "", ".", "..", "...", "a.b", "a.b.c.d", "eyJhbGciOiJIUzI1NiJ9", ".e30.", "eyJhbGciOiJIUzI1NiJ9..",
    ])
    func wrongSegmentCountsAreMalformed(_ token: String) {
        #expect(T.rejection(verifier, token) == .malformed)
    }

    @Test func twoAndFourSegmentsOfARealTokenAreMalformed() {
        let parts = T.segments(T.hs256())
        #expect(T.rejection(verifier, T.join([parts[0], parts[1]])) == .malformed)
        #expect(T.rejection(verifier, T.join(parts + [parts[2]])) == .malformed)
        #expect(T.rejection(verifier, T.join(parts) + ".") == .malformed)
    }

    @Test func badBase64URLIsMalformed() {
        let parts = T.segments(T.hs256())
        let variants = [
            T.join([parts[0] + "=", parts[1], parts[2]]), T.join([parts[0], parts[1] + "=", parts[2]]),
            T.join([parts[0], parts[1], parts[2] + "="]), T.join([parts[0], parts[1], "+" + parts[2].dropFirst()]),
            T.join([parts[0], parts[1] + " ", parts[2]]), T.join([" " + parts[0], parts[1], parts[2]]),
            T.join([parts[0], parts[1], parts[2] + "\n"]), T.join([parts[0], parts[1] + "*", parts[2]]),
            T.join([parts[0], "x", parts[2]]), "Bearer " + T.join(parts),
        ]
        for token in variants {
            #expect(T.rejection(verifier, token) == .malformed)
        }
    }

    @Test(arguments: [#"[1]"#, #""sub""#, "123", "null", "true", "not json", "", #"{"sub":"a"} x"#])
    func aPayloadThatIsNotAnObjectIsMalformed(_ payload: String) {
        // Correctly signed, so only the payload check can refuse it.
        #expect(T.rejection(verifier, T.hs256(payload: payload)) == .malformed)
    }

    @Test func deeplyNestedPayloadsAreMalformed() {
        let deep = String(repeating: "[", count: 20) + String(repeating: "]", count: 20)
        #expect(T.rejection(verifier, T.hs256(payload: T.payload(extra: #""x":\#(deep)"#))) == .malformed)
        let shallow = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect(T.rejection(verifier, T.hs256(payload: T.payload(extra: #""x":\#(shallow)"#))) == nil)
    }

    @Test func oversizedTokensAreRefusedFirst() {
        let token = T.hs256()
        #expect(T.rejection(T.hsVerifier(maxTokenBytes: token.utf8.count), token) == nil)
        #expect(T.rejection(T.hsVerifier(maxTokenBytes: token.utf8.count - 1), token) == .tooLarge)
        // Default limit 8 KiB, checked before anything is decoded.
        let padding = String(repeating: "x", count: 8192)
        let big = T.hs256(payload: T.payload(extra: #""pad":"\#(padding)""#))
        #expect(T.rejection(verifier, big) == .tooLarge)
        #expect(T.rejection(verifier, String(repeating: "A", count: 8193)) == .tooLarge)
        #expect(T.rejection(verifier, String(repeating: "A", count: 8192)) == .malformed)
    }

    // MARK: Nothing leaks

    @Test func descriptionsRevealNoTokenContent() throws {
        for code in JWTError.Code.allCases {
            let text = JWTError(code).description
            #expect(!text.isEmpty)
            for secret in ["user-123", "alice", "HS256", "eyJ"] {
                #expect(!Self.contains(text, secret))
            }
        }
        let claims = try verifier.verify(token: T.hs256(), nowSeconds: T.now)
        var dumped = ""
        dump(claims, to: &dumped)
        for text in [claims.description, String(reflecting: claims), "\(claims)", dumped] {
            #expect(!Self.contains(text, "alice@example.com"))
            #expect(!Self.contains(text, "user-123"))
            #expect(Self.contains(text, "authenticated"))
        }
        var dumpedVerifier = ""
        dump(verifier, to: &dumpedVerifier)
        for text in ["\(verifier)", String(reflecting: verifier), dumpedVerifier] {
            #expect(!Self.contains(text, "warden-test"))
            #expect(!Self.contains(text, "119, 97, 114"))  // the secret's bytes as an array
        }
    }

    static func contains(_ haystack: String, _ needle: String) -> Bool {
        let h = Array(haystack.utf8), n = Array(needle.utf8)
        guard h.count >= n.count else { return false }
        return (0...(h.count - n.count)).contains { h[$0..<($0 + n.count)].elementsEqual(n) }
    }

    // MARK: Bearer header

    @Test(arguments: [
        ("Bearer abc.def.ghi", "abc.def.ghi"), ("bearer abc", "abc"), ("BEARER   abc  ", "abc"),
        ("Bearer", nil), ("Bearer ", nil), ("Bearer    ", nil), ("Basic abc", nil), ("Bearerabc", nil),
        ("Bearer a b", nil), ("Bearer a\tb", nil), ("Token abc", nil), ("", nil), ("Bearer\tabc", nil),
    ] as [(String, String?)])
    func bearerToken(header: String, expected: String?) {
        #expect(JWTVerifier.bearerToken(authorizationHeader: header) == expected)
    }
}
