import Auth
import Bytes
import Testing
import WardenCrypto

/// RS256 / ES256 tokens signed by Python's `cryptography`, key selection and algorithm confusion.
@Suite("JWTVerifier (RS256, ES256, confusion)")
struct JWTAsymmetricTests {
    typealias T = TestSupport

    static func jwksVerifier() throws -> JWTVerifier {
        JWTVerifier(keySet: try T.keySet(), issuer: T.issuer, audience: "authenticated")
    }

    /// A verifier holding the HS256 secret *and* the JWKS.
    static func mixedVerifier() throws -> JWTVerifier {
        JWTVerifier(hmacSecret: T.secret, keySet: try T.keySet(), issuer: T.issuer, audience: "authenticated")
    }

    @Test func allowedAlgorithmsFollowTheConfiguration() throws {
        #expect(try Self.jwksVerifier().allowedAlgorithms == [.rs256, .es256])
        #expect(try Self.mixedVerifier().allowedAlgorithms == [.hs256, .rs256, .es256])
        let ecOnly = JWTVerifier(keySet: JWKSet(keys: try T.keySet().keys.filter { $0.keyID == "ec-1" }))
        #expect(ecOnly.allowedAlgorithms == [.es256])
        #expect(T.rejection(ecOnly, Vectors.rs256Valid) == .unsupportedAlgorithm)
        #expect(T.hsVerifier().allowedAlgorithms == [.hs256])
        #expect(T.rejection(T.hsVerifier(), Vectors.rs256Valid) == .unsupportedAlgorithm)
        #expect(T.rejection(T.hsVerifier(), Vectors.es256Valid) == .unsupportedAlgorithm)
    }

    @Test func acceptsAValidRS256Token() throws {
        for verifier in [try Self.jwksVerifier(), try Self.mixedVerifier()] {
            let claims = try verifier.verify(token: Vectors.rs256Valid, nowSeconds: T.now)
            #expect(claims.subject == "user-123")
            #expect(claims.algorithm == .rs256)
            #expect(claims.keyID == "rsa-a")
            #expect(claims.role == "authenticated")
        }
    }

    @Test func acceptsAValidES256Token() throws {
        let claims = try Self.jwksVerifier().verify(token: Vectors.es256Valid, nowSeconds: T.now)
        #expect(claims.subject == "user-123")
        #expect(claims.algorithm == .es256)
        #expect(claims.keyID == "ec-1")
    }

    @Test func claimsAreCheckedForAsymmetricTokensToo() throws {
        // exp is now + 3600; with 30 s of leeway the tokens expire at now + 3630.
        #expect(T.rejection(try Self.jwksVerifier(), Vectors.rs256Valid, now: T.now + 3629) == nil)
        #expect(T.rejection(try Self.jwksVerifier(), Vectors.rs256Valid, now: T.now + 3630) == .expired)
        #expect(T.rejection(try Self.jwksVerifier(), Vectors.es256Valid, now: T.now + 3630) == .expired)
        let otherAudience = JWTVerifier(keySet: try T.keySet(), audience: "service")
        #expect(T.rejection(otherAudience, Vectors.rs256Valid) == .wrongAudience)
    }

    @Test func es256RefusesADERSignature() throws {
        #expect(T.rejection(try Self.jwksVerifier(), Vectors.es256DER) == .badSignature)
    }

    @Test func rs256SignedByAnotherKeyIsRefused() throws {
        #expect(T.rejection(try Self.jwksVerifier(), Vectors.rs256OtherKey) == .badSignature)
    }

    /// The header's `jwk` is the attacker's own key: it is never used.
    @Test func anEmbeddedJWKIsIgnored() throws {
        let rsa = try #require(try T.keySet().key(withID: "rsa-a"))
        let single = JWTVerifier(keySet: JWKSet(keys: [rsa]))
        #expect(T.rejection(single, Vectors.rs256EmbeddedJWK) == .badSignature)
    }

    @Test func aTokenWithoutKidNeedsASingleKeySet() throws {
        #expect(T.rejection(try Self.jwksVerifier(), Vectors.rs256NoKid) == .unknownKey)
        let rsa = try #require(try T.keySet().key(withID: "rsa-a"))
        let single = JWTVerifier(keySet: JWKSet(keys: [rsa]))
        #expect(try single.verify(token: Vectors.rs256NoKid, nowSeconds: T.now).keyID == nil)
        // The single key must still have the right type.
        let ec = try #require(try T.keySet().key(withID: "ec-1"))
        #expect(T.rejection(JWTVerifier(keySet: JWKSet(keys: [rsa, ec])), Vectors.rs256NoKid) == .unknownKey)
    }

    /// Re-labels a fixed token's header (the signature then no longer matters: key lookup comes first).
    static func relabel(_ token: String, header: String) -> String {
        let parts = T.segments(token)
        return T.join([T.segment(header), parts[1], parts[2]])
    }

    @Test(arguments: ["nope", "RSA-A", "oct-1", "rsa-enc", "rsa-weak", "ec-384", "ec-1", ""])
    func unknownOrUnsuitableKidIsRefused(_ kid: String) throws {
        let token = Self.relabel(Vectors.rs256Valid, header: #"{"alg":"RS256","typ":"JWT","kid":"\#(kid)"}"#)
        #expect(T.rejection(try Self.jwksVerifier(), token) == .unknownKey)
    }

    @Test func anES256TokenCannotUseTheRSAKey() throws {
        let token = Self.relabel(Vectors.es256Valid, header: #"{"alg":"ES256","typ":"JWT","kid":"rsa-a"}"#)
        #expect(T.rejection(try Self.jwksVerifier(), token) == .unknownKey)
    }

    @Test func theKeysOwnAlgMustMatch() throws {
        var rsa = try #require(try T.keySet().key(withID: "rsa-a"))
        rsa.algorithm = "RS512"
        #expect(T.rejection(JWTVerifier(keySet: JWKSet(keys: [rsa])), Vectors.rs256Valid) == .unknownKey)
        rsa.algorithm = nil
        #expect(T.rejection(JWTVerifier(keySet: JWKSet(keys: [rsa])), Vectors.rs256Valid) == nil)
    }

    @Test func tamperedRS256AndES256TokensAreRefused() throws {
        let verifier = try Self.jwksVerifier()
        for token in [Vectors.rs256Valid, Vectors.es256Valid] {
            let parts = T.segments(token)
            let forged = T.segment(T.text(parts[1]).replacingASCII("user-123", with: "user-999"))
            #expect(T.rejection(verifier, T.join([parts[0], forged, parts[2]])) == .badSignature)
            var signature = try #require(Base64.urlUnpadded.decode(parts[2]))
            signature[signature.count / 2] ^= 0x10
            #expect(T.rejection(verifier, T.join([parts[0], parts[1], Base64.urlUnpadded.encode(signature)])) == .badSignature)
            #expect(T.rejection(verifier, T.join([parts[0], parts[1], ""])) == .badSignature)
        }
    }

    /// A 1024-bit RSA key is left out of the JWKS; given explicitly, it still never verifies.
    @Test func rsa1024IsRefused() throws {
        #expect(T.rejection(try Self.jwksVerifier(), Vectors.rs256Weak) == .unknownKey)
        let json = try #require(JSONObjectFixture.object(Vectors.rsaWeakJWK))
        #expect(JWK(json: json) == nil)
        let n = try #require(json["n"]?.stringValue.flatMap(Base64.urlUnpadded.decode))
        let weak = JWK(keyID: "rsa-weak", algorithm: "RS256", material: .rsa(modulus: n, exponent: [1, 0, 1]))
        #expect(T.rejection(JWTVerifier(keySet: JWKSet(keys: [weak])), Vectors.rs256Weak) == .badSignature)
    }

    // MARK: Algorithm confusion

    /// HMAC keys an attacker could derive from the published RSA key (or the JWKS's symmetric entry).
    static func publicKeyDerivedSecrets() throws -> [[UInt8]] {
        let pem = Vectors.rsaAPublicPEM
        let n = try #require(Base64.urlUnpadded.decode(Vectors.rsaAModulus))
        return [
            Array(pem.utf8), Array(pem.utf8.dropLast()), Array(Vectors.rsaAModulus.utf8), n,
            Array("an-hmac-key-that-must-never-be-used!!".utf8), Array(Vectors.jwks.utf8),
        ]
    }

    @Test func hs256SignedWithThePublicKeyIsRefused() throws {
        for key in try Self.publicKeyDerivedSecrets() {
            for kid in ["rsa-a", "oct-1"] {
                let header = #"{"alg":"HS256","typ":"JWT","kid":"\#(kid)"}"#
                let token = T.hs256(header: header, key: key)
                // Without a configured secret HS256 is off entirely; with one, only that secret counts.
                #expect(T.rejection(try Self.jwksVerifier(), token) == .unsupportedAlgorithm)
                #expect(T.rejection(try Self.mixedVerifier(), token) == .badSignature)
            }
        }
        // The mixed verifier does accept a token under its own secret.
        #expect(T.rejection(try Self.mixedVerifier(), T.hs256()) == nil)
    }

    @Test func anRS256TokenIsNeverCheckedAsHMAC() throws {
        // An RS256 header over an HMAC "signature" made with the configured secret.
        let header = #"{"alg":"RS256","typ":"JWT","kid":"rsa-a"}"#
        #expect(T.rejection(try Self.mixedVerifier(), T.hs256(header: header)) == .badSignature)
        #expect(T.rejection(T.hsVerifier(), T.hs256(header: header)) == .unsupportedAlgorithm)
    }
}

extension String {
    /// Replaces every occurrence of an ASCII needle (tests only; no `_StringProcessing`).
    func replacingASCII(_ needle: String, with replacement: String) -> String {
        let h = Array(utf8), n = Array(needle.utf8), r = Array(replacement.utf8)
        var out: [UInt8] = []
        var index = 0
        while index < h.count {
            if index + n.count <= h.count, h[index..<(index + n.count)].elementsEqual(n) {
                out += r
                index += n.count
            } else {
                out.append(h[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
