import Auth
import Bytes
import Testing
import WardenCrypto

/// The RS256 / ES256 primitives in `WardenCrypto`, against signatures made by Python's `cryptography`.
@Suite("Crypto RS256/ES256")
struct CryptoVerifyTests {
    /// Signing input and signature of a fixed token.
    static func split(_ token: String) throws -> (message: [UInt8], signature: [UInt8]) {
        let parts = TestSupport.segments(token)
        try #require(parts.count == 3)
        return (Array((parts[0] + "." + parts[1]).utf8), try #require(Base64.urlUnpadded.decode(parts[2])))
    }

    static let exponent: [UInt8] = [0x01, 0x00, 0x01]
    static func modulus() throws -> [UInt8] { try #require(Base64.urlUnpadded.decode(Vectors.rsaAModulus)) }

    @Test func rs256AcceptsValidSignatureAndRejectsAnyChange() throws {
        let (message, signature) = try Self.split(Vectors.rs256Valid)
        let n = try Self.modulus()
        #expect(Crypto.verifyRS256(modulus: n, exponent: Self.exponent, message: message, signature: signature))
        // With a (non-minimal) leading zero octet on the modulus the key is the same.
        #expect(Crypto.verifyRS256(modulus: [0] + n, exponent: Self.exponent, message: message, signature: signature))

        var otherMessage = message
        otherMessage[otherMessage.count - 1] ^= 1
        #expect(!Crypto.verifyRS256(modulus: n, exponent: Self.exponent, message: otherMessage, signature: signature))
        var otherSignature = signature
        otherSignature[17] ^= 0x40
        #expect(!Crypto.verifyRS256(modulus: n, exponent: Self.exponent, message: message, signature: otherSignature))
        #expect(!Crypto.verifyRS256(modulus: n, exponent: [0x03], message: message, signature: signature))
        #expect(!Crypto.verifyRS256(modulus: n, exponent: Self.exponent, message: message, signature: [0] + signature))
        #expect(!Crypto.verifyRS256(modulus: n, exponent: Self.exponent, message: message, signature: Array(signature.dropFirst())))
        #expect(!Crypto.verifyRS256(modulus: n, exponent: Self.exponent, message: message, signature: []))
        #expect(!Crypto.verifyRS256(modulus: [], exponent: Self.exponent, message: message, signature: signature))
        #expect(!Crypto.verifyRS256(modulus: n, exponent: [], message: message, signature: signature))
    }

    @Test func rs256RefusesA1024BitKeyEvenWithAValidSignature() throws {
        let (message, signature) = try Self.split(Vectors.rs256Weak)
        let jwk = try #require(JSONObjectFixture.object(Vectors.rsaWeakJWK))
        let n = try #require(jwk["n"]?.stringValue.flatMap(Base64.urlUnpadded.decode))
        #expect(n.count == 128)
        #expect(!Crypto.verifyRS256(modulus: n, exponent: Self.exponent, message: message, signature: signature))
    }

    /// With e = 1 the PKCS#1 encoding of the message is its own "signature": such a key must never verify.
    @Test func rs256RefusesExponentOne() throws {
        let (message, _) = try Self.split(Vectors.rs256Valid)
        let n = try Self.modulus()
        let digestInfo: [UInt8] = [
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
        ]
        let tail = digestInfo + Crypto.sha256(message)
        let encoded: [UInt8] = [0x00, 0x01] + [UInt8](repeating: 0xFF, count: n.count - 3 - tail.count) + [0x00] + tail
        #expect(encoded.count == n.count)
        #expect(!Crypto.verifyRS256(modulus: n, exponent: [0x01], message: message, signature: encoded))
        #expect(!Crypto.verifyRS256(modulus: n, exponent: [0x00, 0x01], message: message, signature: encoded))
    }

    @Test func es256AcceptsRawSignatureOnly() throws {
        let (message, signature) = try Self.split(Vectors.es256Valid)
        let x = try #require(Base64.urlUnpadded.decode(Vectors.ecX)), y = try #require(Base64.urlUnpadded.decode(Vectors.ecY))
        #expect(signature.count == 64)
        #expect(Crypto.verifyES256(x: x, y: y, message: message, signature: signature))

        var otherMessage = message
        otherMessage[0] ^= 1
        #expect(!Crypto.verifyES256(x: x, y: y, message: otherMessage, signature: signature))
        var otherSignature = signature
        otherSignature[40] ^= 0x01
        #expect(!Crypto.verifyES256(x: x, y: y, message: message, signature: otherSignature))
        // The same signature in DER form (what OpenSSL itself produces) is not a JWS signature.
        let (derMessage, der) = try Self.split(Vectors.es256DER)
        #expect(der.count != 64)
        #expect(!Crypto.verifyES256(x: x, y: y, message: derMessage, signature: der))
        #expect(!Crypto.verifyES256(x: x, y: y, message: message, signature: [UInt8](repeating: 0, count: 64)))
        #expect(!Crypto.verifyES256(x: x, y: y, message: message, signature: Array(signature.prefix(63))))
        #expect(!Crypto.verifyES256(x: Array(x.dropFirst()), y: y, message: message, signature: signature))
    }

    @Test func es256RefusesAPointOffTheCurve() throws {
        let (message, signature) = try Self.split(Vectors.es256Valid)
        let x = try #require(Base64.urlUnpadded.decode(Vectors.ecX))
        var y = try #require(Base64.urlUnpadded.decode(Vectors.ecY))
        y[31] ^= 1
        #expect(!Crypto.verifyES256(x: x, y: y, message: message, signature: signature))
        let zero = [UInt8](repeating: 0, count: 32)
        #expect(!Crypto.verifyES256(x: zero, y: zero, message: message, signature: signature))
    }
}
