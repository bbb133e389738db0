import Auth
import Testing
import WardenJSON

@Suite("JWKSet")
struct JWKSetTests {
    @Test func keepsOnlyUsableSigningKeys() throws {
        let set = try TestSupport.keySet()
        // Kept: rsa-a (RS256), ec-1 (ES256). Skipped: the symmetric "oct" key, an "enc" key, a 1024-bit RSA key and
        // a P-384 key.
        #expect(set.keys.map(\.keyID) == ["rsa-a", "ec-1"])
        #expect(set.key(withID: "oct-1") == nil)
        #expect(set.key(withID: "rsa-enc") == nil)
        #expect(set.key(withID: "rsa-weak") == nil)
        #expect(set.key(withID: "ec-384") == nil)
        guard case .rsa(let n, let e)? = set.key(withID: "rsa-a")?.material else {
            Issue.record("rsa-a is not an RSA key")
            return
        }
        #expect(n.count == 256)
        #expect(e == [0x01, 0x00, 0x01])
        guard case .p256(let x, let y)? = set.key(withID: "ec-1")?.material else {
            Issue.record("ec-1 is not a P-256 key")
            return
        }
        #expect(x.count == 32 && y.count == 32)
        #expect(set.key(withID: "ec-1")?.algorithm == "ES256")
    }

    @Test(arguments: [
        "", "not json", "[]", "{}", #"{"keys":{}}"#, #"{"keys":"x"}"#, #"{"keys":[],"keys":[]}"#, #"{"keys":[]"#,
    ])
    func refusesDocumentsThatAreNotKeySets(_ text: String) {
        #expect(throws: JWTError(.invalidKeySet)) { try JWKSet(json: text) }
    }

    @Test func anEmptyKeyListIsAnEmptySet() throws {
        #expect(try JWKSet(json: #"{"keys":[]}"#).keys.isEmpty)
        #expect(try JWKSet(json: #"{"keys":[1,"x",null,[]]}"#).keys.isEmpty)
    }

    /// Members that make a key unusable; each is applied to an otherwise valid copy of `ec-1`.
    @Test(arguments: [
        #""use":"enc""#, #""use":1"#, #""kid":7"#, #""alg":["ES256"]"#, #""key_ops":["sign"]"#, #""key_ops":"verify""#,
        #""crv":"P-384""#, #""x":"AAAA""#, #""y":"not base64url!""#, #""x":"\#(Vectors.ecX)=""#,
        #""kty":"oct""#, #""kty":"ec""#,
    ])
    func skipsIllFormedKeys(_ override: String) throws {
        let valid = #"{"kty":"EC","crv":"P-256","x":"\#(Vectors.ecX)","y":"\#(Vectors.ecY)","kid":"k","use":"sig"}"#
        var key = try #require(JSONObjectFixture.object(valid))
        #expect(JWK(json: key) != nil)
        for (name, value) in try #require(JSONObjectFixture.object("{\(override)}")) {
            _ = key.updateValue(value, forKey: name)
        }
        #expect(JWK(json: key) == nil)
    }

    @Test func keyOperationsWithVerifyAreAccepted() throws {
        let json = #"{"keys":[{"kty":"EC","crv":"P-256","x":"\#(Vectors.ecX)","y":"\#(Vectors.ecY)","key_ops":["verify"]}]}"#
        #expect(try JWKSet(json: json).keys.count == 1)
    }

    @Test func choosesTheSigningKeyByKidTypeAndAlgorithm() throws {
        let set = try TestSupport.keySet()
        #expect(set.signingKey(for: .rs256, keyID: "rsa-a")?.keyID == "rsa-a")
        #expect(set.signingKey(for: .es256, keyID: "ec-1")?.keyID == "ec-1")
        // The kid of a key of the other type, an unknown kid, and no kid with two keys in the set.
        #expect(set.signingKey(for: .rs256, keyID: "ec-1") == nil)
        #expect(set.signingKey(for: .es256, keyID: "rsa-a") == nil)
        #expect(set.signingKey(for: .rs256, keyID: "nope") == nil)
        #expect(set.signingKey(for: .rs256, keyID: nil) == nil)
        // kid is compared byte for byte.
        #expect(set.signingKey(for: .rs256, keyID: "RSA-A") == nil)

        let rsa = try #require(set.key(withID: "rsa-a"))
        let single = JWKSet(keys: [rsa])
        #expect(single.signingKey(for: .rs256, keyID: nil) == rsa)
        #expect(single.signingKey(for: .es256, keyID: nil) == nil)
        var mislabelled = rsa
        mislabelled.algorithm = "RS512"
        #expect(JWKSet(keys: [mislabelled]).signingKey(for: .rs256, keyID: "rsa-a") == nil)
        #expect(JWKSet(keys: [mislabelled]).signingKey(for: .rs256, keyID: nil) == nil)
    }
}
