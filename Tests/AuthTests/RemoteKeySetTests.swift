import Auth
import Testing

/// `RemoteKeySet`: when the JWKS of `JWT_JWKS_URL` is fetched (first use, TTL, unknown `kid` at most once per
/// cooldown, after failures), which keys are trusted meanwhile (overlap, revocation by removal, cached keys through
/// failures), and `JWTVerifier.verify(token:nowSeconds:keys:)` on top of it. The clock and the issuer are stand-ins
/// driven by each test; every count below is of fetches the issuer saw.
@Suite("RemoteKeySet (JWKS from a URL)")
struct RemoteKeySetTests {
    typealias T = TestSupport

    /// The issuer's JWKS endpoint: serves `document` (or fails with `failure`), counting requests.
    final class Issuer {
        var document: String
        var failure: String?
        private(set) var timeouts: [Int] = []
        var fetches: Int { timeouts.count }

        init(_ document: String) { self.document = document }

        func fetch(_ timeout: Int) throws(RemoteKeySet.FetchError) -> [UInt8] {
            timeouts.append(timeout)
            if let failure { throw RemoteKeySet.FetchError(reason: failure) }
            return Array(document.utf8)
        }
    }

    final class Clock {
        var now: Int64 = 5_000_000
    }

    final class Warnings {
        var messages: [String] = []
    }

    static let rsaA = #"{"kty":"RSA","kid":"rsa-a","n":"\#(Vectors.rsaAModulus)","e":"AQAB","alg":"RS256","use":"sig"}"#
    static let ec1 = #"{"kty":"EC","crv":"P-256","kid":"ec-1","x":"\#(Vectors.ecX)","y":"\#(Vectors.ecY)","alg":"ES256","use":"sig"}"#
    static func document(_ keys: String...) -> String { #"{"keys":["# + keys.joined(separator: ",") + "]}" }

    static let ttl: Int64 = 600_000
    static let cooldown: Int64 = 30_000
    static let url = "https://idp.example.test/auth/v1/.well-known/jwks.json"

    /// An RS256 token naming key `kid` (its signature is rsa-a's: only the key lookup matters for an unknown kid).
    static func rs256(kid: String) -> String {
        let parts = T.segments(Vectors.rs256Valid)
        return T.join([T.segment(#"{"alg":"RS256","typ":"JWT","kid":"\#(kid)"}"#), parts[1], parts[2]])
    }

    /// Whether `needle` occurs in `text` (a byte search: the tests build without `_StringProcessing`).
    static func occurs(_ needle: String, in text: String) -> Bool {
        let hay = Array(text.utf8), pin = Array(needle.utf8)
        guard hay.count >= pin.count else { return false }
        return (0...(hay.count - pin.count)).contains { hay[$0..<($0 + pin.count)].elementsEqual(pin) }
    }

    let issuer: Issuer
    let clock = Clock()
    let warnings = Warnings()
    let keys: RemoteKeySet
    let verifier = JWTVerifier(issuer: T.issuer, audience: "authenticated")

    init() {
        issuer = Issuer(Self.document(Self.rsaA))
        let (issuer, clock, warnings) = (issuer, clock, warnings)
        keys = RemoteKeySet(
            policy: .init(ttlMilliseconds: Self.ttl, cooldownMilliseconds: Self.cooldown), clock: { clock.now },
            warning: { warnings.messages.append($0) }, fetch: { timeout throws(RemoteKeySet.FetchError) in try issuer.fetch(timeout) }
        )
    }

    /// The error code of verifying `token` against the remote set, or `nil` when it is accepted.
    func rejection(_ token: String) -> JWTError.Code? {
        do {
            _ = try verifier.verify(token: token, nowSeconds: T.now) { algorithm, kid in
                keys.keys(for: algorithm, keyID: kid, timeoutMilliseconds: 1500)
            }
            return nil
        } catch {
            return error.code
        }
    }

    @Test func nothingIsFetchedBeforeTheFirstTokenThenOnceUntilTheTTLRunsOut() {
        #expect(issuer.fetches == 0)
        #expect(rejection(Vectors.rs256Valid) == nil)
        #expect(issuer.fetches == 1)
        #expect(issuer.timeouts == [1500])
        clock.now += Self.ttl - 1
        #expect(rejection(Vectors.rs256Valid) == nil)
        #expect(issuer.fetches == 1)
        clock.now += 1
        #expect(rejection(Vectors.rs256Valid) == nil)
        #expect(issuer.fetches == 2)
        #expect(warnings.messages.isEmpty)
    }

    /// The issuer publishes a second key, starts signing with it, then withdraws the first: no token of either key
    /// is refused while the issuer lists it, and the withdrawn key is refused from the next fetch on.
    @Test func oldAndNewKeysOverlapAndAWithdrawnKeyIsRefusedAfterTheNextFetch() {
        #expect(rejection(Vectors.rs256Valid) == nil)
        issuer.document = Self.document(Self.rsaA, Self.ec1)
        clock.now += 1000
        // The new kid is unknown to the cached set: refetched at once, well within the TTL.
        #expect(rejection(Vectors.es256Valid) == nil)
        #expect(issuer.fetches == 2)
        #expect(rejection(Vectors.rs256Valid) == nil)
        issuer.document = Self.document(Self.ec1)
        clock.now += 1000
        // Until the set is fetched again the old key stays valid…
        #expect(rejection(Vectors.rs256Valid) == nil)
        #expect(rejection(Vectors.es256Valid) == nil)
        #expect(issuer.fetches == 2)
        // …and from the TTL's refetch on it is refused.
        clock.now += Self.ttl
        #expect(rejection(Vectors.es256Valid) == nil)
        #expect(issuer.fetches == 3)
        #expect(rejection(Vectors.rs256Valid) == .unknownKey)
    }

    @Test func unknownKidsRefetchAtMostOncePerCooldown() {
        #expect(rejection(Vectors.rs256Valid) == nil)
        for index in 0..<50 {
            #expect(rejection(Self.rs256(kid: "made-up-\(index)")) == .unknownKey)
        }
        #expect(issuer.fetches == 2)
        clock.now += Self.cooldown - 1
        #expect(rejection(Self.rs256(kid: "made-up-again")) == .unknownKey)
        #expect(issuer.fetches == 2)
        clock.now += 1
        #expect(rejection(Self.rs256(kid: "made-up-again")) == .unknownKey)
        #expect(issuer.fetches == 3)
        // Known keys never wait on the cooldown.
        #expect(rejection(Vectors.rs256Valid) == nil)
        #expect(issuer.fetches == 3)
    }

    @Test func aFailedRefreshKeepsTheCachedKeysPastTheTTL() throws {
        #expect(rejection(Vectors.rs256Valid) == nil)
        issuer.failure = "JWT_JWKS_URL is unavailable (HTTP 503)"
        clock.now += Self.ttl
        #expect(rejection(Vectors.rs256Valid) == nil)
        #expect(issuer.fetches == 2)
        #expect(warnings.messages.count == 1)
        let warning = try #require(warnings.messages.first)
        #expect(warning.hasPrefix("jwks: JWT_JWKS_URL is unavailable (HTTP 503); the 1 keys fetched 600 s ago stay valid"))
        #expect(!Self.occurs(Self.url, in: warning) && !Self.occurs(Vectors.rsaAModulus, in: warning))
        // Within the cooldown no new attempt, not even for an unknown kid.
        clock.now += Self.cooldown - 1
        #expect(rejection(Vectors.rs256Valid) == nil)
        #expect(rejection(Self.rs256(kid: "new-key")) == .unknownKey)
        #expect(issuer.fetches == 2)
        // A document that is not a JWKS, or has no usable key, is a failure too: the cached keys stay.
        clock.now += 1
        issuer.failure = nil
        issuer.document = "<html>maintenance</html>"
        #expect(rejection(Vectors.rs256Valid) == nil)
        #expect(issuer.fetches == 3)
        #expect(warnings.messages.last?.hasPrefix("jwks: JWT_JWKS_URL did not answer with a JSON Web Key Set") == true)
        clock.now += Self.cooldown
        issuer.document = #"{"keys":[{"kty":"oct","kid":"x","k":"c2VjcmV0"}]}"#
        #expect(rejection(Vectors.rs256Valid) == nil)
        #expect(issuer.fetches == 4)
        #expect(warnings.messages.last?.hasPrefix("jwks: JWT_JWKS_URL answered with no usable signing key") == true)
        // Back to normal: the next attempt after the cooldown replaces the set.
        clock.now += Self.cooldown
        issuer.document = Self.document(Self.ec1)
        #expect(rejection(Vectors.es256Valid) == nil)
        #expect(issuer.fetches == 5)
        #expect(rejection(Vectors.rs256Valid) == .unknownKey)
    }

    @Test func withoutAnyFetchedKeyTokensAreRefusedAndTheNextAttemptWaitsForTheCooldown() {
        issuer.failure = "JWT_JWKS_URL is unavailable (transport failure: Couldn't connect to server)"
        #expect(rejection(Vectors.rs256Valid) == .unknownKey)
        #expect(rejection(Vectors.rs256Valid) == .unknownKey)
        #expect(issuer.fetches == 1)
        #expect(warnings.messages == [
            "jwks: JWT_JWKS_URL is unavailable (transport failure: Couldn't connect to server); no keys yet, so RS256/ES256 tokens are refused; next attempt in 30 s or later"
        ])
        issuer.failure = nil
        clock.now += Self.cooldown
        #expect(rejection(Vectors.rs256Valid) == nil)
        #expect(issuer.fetches == 2)
    }

    @Test func hs256NeverConsultsTheRemoteSet() {
        let mixed = JWTVerifier(hmacSecret: T.secret, issuer: T.issuer, audience: "authenticated")
        var asked = 0
        let claims = try? mixed.verify(token: T.hs256(), nowSeconds: T.now) { _, _ in
            asked += 1
            return nil
        }
        #expect(claims?.algorithm == .hs256)
        #expect(asked == 0)
        // Without JWT_SECRET an HS256 token is refused, whatever the remote set holds.
        #expect(rejection(T.hs256()) == .unsupportedAlgorithm)
        #expect(issuer.fetches == 0)
    }

    @Test func aSetWithoutAKeyOfTheTokensTypeIsAnUnknownKey() throws {
        issuer.document = Self.document(Self.ec1)
        #expect(rejection(Vectors.rs256Valid) == .unknownKey)
        // The RSA key relabelled as ec-1: a key of another type never verifies.
        let parts = T.segments(Vectors.es256Valid)
        let confused = T.join([T.segment(#"{"alg":"RS256","typ":"JWT","kid":"ec-1"}"#), parts[1], parts[2]])
        #expect(rejection(confused) == .unknownKey)
    }
}
