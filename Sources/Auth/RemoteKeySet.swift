/// The JWKS an issuer publishes at a URL (Supabase's `…/auth/v1/.well-known/jwks.json`), fetched when first needed
/// and cached, so signing keys rotate without a redeploy. The fetch itself is injected (libcurl in the functions,
/// see `JWKSEndpoint` in `Secrets`); this type decides when to fetch and which keys to trust meanwhile:
///
/// - **TTL**: a fetched set serves for `ttlMilliseconds`; the first token needing it after that refetches.
/// - **Unknown `kid`**: a token naming a key the cached set lacks (the issuer started signing with a new key)
///   refetches at once — at most once per `cooldownMilliseconds`, so tokens with made-up key ids cannot make the
///   function hammer the issuer (or wait on it) more often than that.
/// - **Overlap**: the set is replaced as a whole by each fetch, so every key the issuer publishes is valid — the old
///   and the new one while it lists both — and a key it no longer lists is refused from the next fetch on (removal
///   is how an issuer revokes a key).
/// - **Failures**: a failed fetch (transport, non-200, not a JWKS, no usable key) never drops the cached set: its
///   keys stay valid, past the TTL too, until a fetch succeeds; the next attempt waits `cooldownMilliseconds`. The
///   warning names the setting and the kind of failure, never the URL, a key or a token.
///
/// Not thread-safe: it belongs to the single-threaded invocation loop.
public final class RemoteKeySet {
    /// When to fetch.
    public struct Policy: Sendable, Equatable {
        /// How long a fetched set serves before the next token needing it refetches.
        public var ttlMilliseconds: Int64
        /// Least time between two fetches that the TTL did not call for: for a token with an unknown `kid`, or the
        /// attempt after a failed one.
        public var cooldownMilliseconds: Int64

        public init(ttlMilliseconds: Int64, cooldownMilliseconds: Int64) {
            self.ttlMilliseconds = max(0, ttlMilliseconds)
            self.cooldownMilliseconds = max(0, cooldownMilliseconds)
        }
    }

    /// A failed fetch, in words safe to log (a setting name and a failure kind).
    public struct FetchError: Error, Sendable {
        public let reason: String
        public init(reason: String) { self.reason = reason }
    }

    /// Fetches the document within the given milliseconds and returns its bytes.
    public typealias Fetch = (_ timeoutMilliseconds: Int) throws(FetchError) -> [UInt8]

    public let policy: Policy
    /// The set currently trusted (`nil` until a fetch succeeded).
    public private(set) var current: JWKSet?
    /// Fetches attempted so far, failed ones included.
    public private(set) var fetchAttempts = 0

    private let fetch: Fetch
    private let clock: () -> Int64
    private let warning: (String) -> Void
    /// When `current` was fetched (clock milliseconds).
    private var fetchedAt: Int64 = 0
    /// No attempt before this time (after a failed fetch).
    private var retryAt: Int64 = .min
    /// No refetch for an unknown `kid` before this time.
    private var unknownKeyRefetchAt: Int64 = .min

    /// - Parameters:
    ///   - clock: milliseconds on a monotonic scale.
    ///   - warning: receives one message per failed fetch; it never holds the URL, a key or a token.
    public init(policy: Policy, clock: @escaping () -> Int64, warning: @escaping (String) -> Void, fetch: @escaping Fetch) {
        self.policy = policy
        self.clock = clock
        self.warning = warning
        self.fetch = fetch
    }

    /// The set to verify a token signed with `algorithm` and naming `keyID` against, fetching first when the TTL
    /// has run out or the token names a key the cached set lacks (within the rules above). `nil` while no fetch has
    /// succeeded. `timeoutMilliseconds` bounds a fetch, if one is made.
    public func keys(for algorithm: JWTAlgorithm, keyID: String?, timeoutMilliseconds: Int) -> JWKSet? {
        let now = clock()
        var fetched = false
        if current == nil || now - fetchedAt >= policy.ttlMilliseconds, now >= retryAt {
            refresh(now: now, timeoutMilliseconds: timeoutMilliseconds)
            fetched = true
        }
        if let set = current, set.signingKey(for: algorithm, keyID: keyID) != nil { return set }
        if !fetched, now >= unknownKeyRefetchAt, now >= retryAt {
            unknownKeyRefetchAt = now &+ policy.cooldownMilliseconds
            refresh(now: now, timeoutMilliseconds: timeoutMilliseconds)
        }
        return current
    }

    private func refresh(now: Int64, timeoutMilliseconds: Int) {
        fetchAttempts += 1
        do throws(FetchError) {
            let document = try fetch(max(1, timeoutMilliseconds))
            let set: JWKSet
            do {
                set = try JWKSet(json: document)
            } catch {
                throw FetchError(reason: "JWT_JWKS_URL did not answer with a JSON Web Key Set")
            }
            guard !set.keys.isEmpty else {
                throw FetchError(reason: "JWT_JWKS_URL answered with no usable signing key")
            }
            current = set
            fetchedAt = now
            retryAt = .min
        } catch {
            retryAt = now &+ policy.cooldownMilliseconds
            let seconds = (policy.cooldownMilliseconds + 999) / 1000
            if let current {
                let age = (now - fetchedAt) / 1000
                warning(
                    "jwks: \(error.reason); the \(current.keys.count) keys fetched \(age) s ago stay valid; next attempt in \(seconds) s or later"
                )
            } else {
                warning("jwks: \(error.reason); no keys yet, so RS256/ES256 tokens are refused; next attempt in \(seconds) s or later")
            }
        }
    }
}
