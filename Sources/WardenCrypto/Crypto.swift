internal import CCrypto

/// Errors from the cryptographic primitives. Their text never includes key or message material.
public struct CryptoError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public var description: String { "cryptographic operation failed: \(operation)" }
}

/// HMAC-SHA256, SHA-256, constant-time comparison, random bytes and RS256/ES256 signature verification, all from
/// OpenSSL's libcrypto.
public enum Crypto {
    /// HMAC-SHA256 of `message` under `key`.
    public static func hmacSHA256(key: some Collection<UInt8>, message: some Collection<UInt8>) -> [UInt8] {
        let k = Array(key), m = Array(message)
        var out = [UInt8](repeating: 0, count: 32)
        let rc = k.withUnsafeBufferPointer { kp in
            m.withUnsafeBufferPointer { mp in
                out.withUnsafeMutableBufferPointer { op in
                    warden_hmac_sha256(kp.baseAddress, kp.count, mp.baseAddress, mp.count, op.baseAddress)
                }
            }
        }
        precondition(rc == 0, "HMAC-SHA256 failed")
        return out
    }

    /// HMAC-SHA256 of `message` under a prepared key: the same MAC as under the key it was prepared from.
    public static func hmacSHA256(key: HMACKey, message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let rc = key.state.withUnsafeBufferPointer { sp in
            message.withUnsafeBufferPointer { mp in
                out.withUnsafeMutableBufferPointer { op in
                    warden_hmac_sha256_prepared(sp.baseAddress, mp.baseAddress, mp.count, op.baseAddress)
                }
            }
        }
        precondition(rc == 0, "HMAC-SHA256 failed")
        return out
    }

    /// SHA-256 digest of `message`.
    public static func sha256(_ message: some Collection<UInt8>) -> [UInt8] {
        let m = Array(message)
        var out = [UInt8](repeating: 0, count: 32)
        let rc = m.withUnsafeBufferPointer { mp in
            out.withUnsafeMutableBufferPointer { op in warden_sha256(mp.baseAddress, mp.count, op.baseAddress) }
        }
        precondition(rc == 0, "SHA-256 failed")
        return out
    }

    /// Compares two byte strings in time that depends only on their lengths.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in warden_ct_equal(ap.baseAddress, bp.baseAddress, ap.count) == 1 }
        }
    }

    /// `count` cryptographically secure random bytes.
    public static func randomBytes(_ count: Int) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let rc = out.withUnsafeMutableBufferPointer { op in warden_random_bytes(op.baseAddress, op.count) }
        guard rc == 0 else { throw CryptoError(operation: "random") }
        return out
    }

    /// Smallest RSA modulus, in bits, that `verifyRS256` accepts.
    public static let minimumRSAModulusBits = Int(WARDEN_RSA_MIN_BITS)

    /// Largest RSA modulus, in bits, that `verifyRS256` accepts.
    public static let maximumRSAModulusBits = Int(WARDEN_RSA_MAX_BITS)

    /// Verifies an RSASSA-PKCS1-v1_5 SHA-256 signature (JWS `RS256`) over `message`.
    ///
    /// `modulus` and `exponent` are unsigned big-endian integers (a JWK's decoded `n` and `e`). Returns `false` for an
    /// invalid signature, a signature whose length differs from the modulus's, and for unusable keys: a modulus
    /// shorter than `minimumRSAModulusBits` or longer than `maximumRSAModulusBits`, an even modulus, an even
    /// exponent, an exponent below 3, above 64 bits or not below the modulus.
    public static func verifyRS256(
        modulus: [UInt8], exponent: [UInt8], message: some Collection<UInt8>, signature: [UInt8]
    ) -> Bool {
        let m = Array(message)
        let rc = modulus.withUnsafeBufferPointer { np in
            exponent.withUnsafeBufferPointer { ep in
                m.withUnsafeBufferPointer { mp in
                    signature.withUnsafeBufferPointer { sp in
                        warden_verify_rs256(
                            np.baseAddress, np.count, ep.baseAddress, ep.count, mp.baseAddress, mp.count,
                            sp.baseAddress, sp.count)
                    }
                }
            }
        }
        return rc == 1
    }

    /// Verifies an ECDSA P-256 SHA-256 signature (JWS `ES256`) over `message`.
    ///
    /// `x` and `y` are the public key's 32-byte big-endian affine coordinates (a JWK's decoded `x` and `y`);
    /// `signature` is the JWS form `r || s`, 64 bytes (not DER). Returns `false` for an invalid signature, any other
    /// signature length, coordinates that are not 32 bytes each and a point that is not on the curve.
    public static func verifyES256(x: [UInt8], y: [UInt8], message: some Collection<UInt8>, signature: [UInt8]) -> Bool {
        guard x.count == 32, y.count == 32, signature.count == 64 else { return false }
        let m = Array(message)
        let rc = x.withUnsafeBufferPointer { xp in
            y.withUnsafeBufferPointer { yp in
                m.withUnsafeBufferPointer { mp in
                    signature.withUnsafeBufferPointer { sp in
                        warden_verify_es256(xp.baseAddress, yp.baseAddress, mp.baseAddress, mp.count, sp.baseAddress, sp.count)
                    }
                }
            }
        }
        return rc == 1
    }
}

/// An HMAC-SHA256 key prepared once: the SHA-256 states after its inner and outer padded blocks, so that each MAC
/// under it hashes only the message and the inner digest (two block compressions fewer than from the raw key). As
/// secret as the key it was made from.
public struct HMACKey: Sendable {
    let state: [UInt8]

    public init(_ key: some Collection<UInt8>) {
        let k = Array(key)
        var state = [UInt8](repeating: 0, count: warden_hmac_key_size())
        let rc = k.withUnsafeBufferPointer { kp in
            state.withUnsafeMutableBufferPointer { warden_hmac_key_prepare(kp.baseAddress, kp.count, $0.baseAddress) }
        }
        precondition(rc == 0, "HMAC key preparation failed")
        self.state = state
    }
}
