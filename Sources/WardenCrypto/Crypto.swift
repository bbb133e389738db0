internal import CCrypto

/// Errors from the cryptographic primitives. Their text never includes key or message material.
public struct CryptoError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public var description: String { "cryptographic operation failed: \(operation)" }
}

/// HMAC-SHA256, SHA-256, constant-time comparison and random bytes, all from OpenSSL's libcrypto.
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

    /// Lowercase hexadecimal text of `bytes`.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
