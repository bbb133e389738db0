internal import Bytes
internal import WardenCrypto
public import WardenJSON

/// One public signing key of a JSON Web Key Set (RFC 7517): an RSA key or a P-256 EC key.
public struct JWK: Sendable, Hashable {
    /// The public key itself.
    public enum Material: Sendable, Hashable {
        /// An RSA public key: unsigned big-endian modulus `n` and public exponent `e`.
        case rsa(modulus: [UInt8], exponent: [UInt8])
        /// A P-256 public key: 32-byte big-endian affine coordinates.
        case p256(x: [UInt8], y: [UInt8])
    }

    /// The key's `kid`, when it has one.
    public var keyID: String?
    /// The key's own `alg`, when it has one: a token must then name exactly this algorithm.
    public var algorithm: String?
    /// The public key.
    public var material: Material

    /// Creates a key from its parts (no checks: `Crypto.verifyRS256` / `verifyES256` refuse unusable keys).
    public init(keyID: String?, algorithm: String?, material: Material) {
        self.keyID = keyID
        self.algorithm = algorithm
        self.material = material
    }

    /// Reads one member of a JWKS `keys` array, or `nil` when the key must be ignored (RFC 7517 §5): `kty` other
    /// than `RSA` / `EC`, `use` other than `sig`, `key_ops` without `verify`, a curve other than `P-256`, missing or
    /// ill-formed members (`kid` and `alg` must be strings when present; `n`, `e`, `x`, `y` strict base64url; `x`
    /// and `y` 32 bytes each), or an RSA modulus outside `Crypto.minimumRSAModulusBits` …
    /// `Crypto.maximumRSAModulusBits`.
    public init?(json: JSONObject) {
        guard let kty = json["kty"]?.stringValue else { return nil }
        if let use = json["use"] {
            guard use.stringValue == "sig" else { return nil }
        }
        if let operations = json["key_ops"] {
            guard let list = operations.arrayValue, list.contains(where: { $0.stringValue == "verify" }) else { return nil }
        }
        var keyID: String?
        if let kid = json["kid"] {
            guard let value = kid.stringValue else { return nil }
            keyID = value
        }
        var algorithm: String?
        if let alg = json["alg"] {
            guard let value = alg.stringValue else { return nil }
            algorithm = value
        }
        switch kty {
        case "RSA":
            guard let n = json["n"]?.stringValue.flatMap(Base64.urlUnpadded.decode),
                let e = json["e"]?.stringValue.flatMap(Base64.urlUnpadded.decode),
                !e.isEmpty
            else { return nil }
            let bits = Self.bitLength(n)
            guard bits >= Crypto.minimumRSAModulusBits, bits <= Crypto.maximumRSAModulusBits else { return nil }
            self.init(keyID: keyID, algorithm: algorithm, material: .rsa(modulus: n, exponent: e))
        case "EC":
            guard json["crv"]?.stringValue == "P-256",
                let x = json["x"]?.stringValue.flatMap(Base64.urlUnpadded.decode), x.count == 32,
                let y = json["y"]?.stringValue.flatMap(Base64.urlUnpadded.decode), y.count == 32
            else { return nil }
            self.init(keyID: keyID, algorithm: algorithm, material: .p256(x: x, y: y))
        default:
            return nil
        }
    }

    /// Whether this key may verify a token signed with `algorithm`: the key type fits and the key's own `alg`, if
    /// any, is exactly the algorithm's name.
    public func suits(_ algorithm: JWTAlgorithm) -> Bool {
        if let own = self.algorithm, !own.utf8.elementsEqual(algorithm.rawValue.utf8) { return false }
        switch (material, algorithm) {
        case (.rsa, .rs256), (.p256, .es256): return true
        default: return false
        }
    }

    /// Whether this key has exactly the key ID `kid` (byte for byte).
    func hasKeyID(_ kid: String) -> Bool {
        guard let keyID else { return false }
        return keyID.utf8.elementsEqual(kid.utf8)
    }

    /// Bit length of an unsigned big-endian integer.
    static func bitLength(_ bytes: [UInt8]) -> Int {
        guard let first = bytes.firstIndex(where: { $0 != 0 }) else { return 0 }
        return (bytes.count - first - 1) * 8 + (8 - bytes[first].leadingZeroBitCount)
    }
}
