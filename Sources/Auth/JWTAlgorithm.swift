/// A JWS signature algorithm the verifier supports (RFC 7518 §3.1 names, which are case-sensitive).
public enum JWTAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// HMAC with SHA-256 under a shared secret.
    case hs256 = "HS256"
    /// RSASSA-PKCS1-v1_5 with SHA-256 under an RSA public key (at least 2048 bits).
    case rs256 = "RS256"
    /// ECDSA on P-256 with SHA-256 under an EC public key.
    case es256 = "ES256"
}
