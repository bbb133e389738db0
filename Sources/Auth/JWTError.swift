/// Why a token (or a JWKS document) was refused.
///
/// The error carries no part of the token, key or signature: its `description` names only the kind of problem, so it
/// can be logged as is.
public struct JWTError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: Sendable, Hashable, CaseIterable {
        /// Not three base64url segments, a header or payload that is not a JSON object (or repeats a member), a
        /// `typ` other than `JWT`, a `crit` header, a missing or non-numeric `exp`, or a claim of the wrong type.
        case malformed
        /// `alg` is `none`, unknown, or not enabled by the verifier's configuration.
        case unsupportedAlgorithm
        /// The signature does not verify.
        case badSignature
        /// `exp` is in the past (beyond the leeway).
        case expired
        /// `nbf` or `iat` is in the future (beyond the leeway).
        case notYetValid
        /// `iss` is missing or differs from the configured issuer.
        case wrongIssuer
        /// `aud` is missing or does not contain the configured audience.
        case wrongAudience
        /// `sub` is missing, empty or not a string.
        case missingSubject
        /// No key of the right type (and `alg`) in the JWKS has the token's `kid`.
        case unknownKey
        /// The token is longer than the verifier's `maxTokenBytes`.
        case tooLarge
        /// A JWKS document that is not `{"keys": [...]}` JSON.
        case invalidKeySet
    }

    /// What went wrong.
    public var code: Code

    /// Creates an error.
    public init(_ code: Code) {
        self.code = code
    }

    /// A generic description naming the kind of error; never includes token content.
    public var description: String {
        switch code {
        case .malformed: "JWT rejected: malformed token"
        case .unsupportedAlgorithm: "JWT rejected: unsupported algorithm"
        case .badSignature: "JWT rejected: invalid signature"
        case .expired: "JWT rejected: token expired"
        case .notYetValid: "JWT rejected: token not yet valid"
        case .wrongIssuer: "JWT rejected: unexpected issuer"
        case .wrongAudience: "JWT rejected: unexpected audience"
        case .missingSubject: "JWT rejected: missing subject"
        case .unknownKey: "JWT rejected: unknown signing key"
        case .tooLarge: "JWT rejected: token too large"
        case .invalidKeySet: "JWKS rejected: not a JSON Web Key Set"
        }
    }
}
