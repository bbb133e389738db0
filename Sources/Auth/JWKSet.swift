internal import WardenJSON

/// A JSON Web Key Set (RFC 7517 §5) of public signing keys, as served by an identity provider's JWKS endpoint.
public struct JWKSet: Sendable, Hashable {
    /// The usable keys, in document order (keys that must be ignored are already left out; see `JWK.init(json:)`).
    public var keys: [JWK]

    /// Limits for parsing a JWKS document: duplicate members are refused, nesting is shallow.
    static let parseOptions = JSONParseOptions(maxDepth: 16, maxBytes: 1 << 20, rejectDuplicateKeys: true)

    /// Creates a set from keys.
    public init(keys: [JWK]) {
        self.keys = keys
    }

    /// Parses a JWKS document (`{"keys": [...]}`, at most 1 MiB). Throws `.invalidKeySet` when the document is not
    /// JSON, repeats a member, or has no `keys` array; members of `keys` that are unusable are skipped.
    public init(json: some Collection<UInt8>) throws(JWTError) {
        let document: JSON
        do {
            document = try JSON.parse(json, options: Self.parseOptions)
        } catch {
            throw JWTError(.invalidKeySet)
        }
        guard let entries = document["keys"]?.arrayValue else { throw JWTError(.invalidKeySet) }
        self.init(keys: entries.compactMap { $0.objectValue.flatMap(JWK.init(json:)) })
    }

    /// Parses a JWKS document from a string (see `init(json:)`).
    public init(json: String) throws(JWTError) {
        try self.init(json: Array(json.utf8))
    }

    /// The first key whose `kid` is exactly `kid`.
    public func key(withID kid: String) -> JWK? {
        keys.first { $0.hasKeyID(kid) }
    }

    /// The key that verifies a token signed with `algorithm` and carrying `kid`: the first key with that `kid` that
    /// suits the algorithm, or, for a token without `kid`, the set's only key when it suits. `nil` otherwise.
    public func signingKey(for algorithm: JWTAlgorithm, keyID kid: String?) -> JWK? {
        guard let kid else {
            guard keys.count == 1, keys[0].suits(algorithm) else { return nil }
            return keys[0]
        }
        return keys.first { $0.hasKeyID(kid) && $0.suits(algorithm) }
    }
}
