import Bytes
import Testing
import WardenCrypto

/// RFC 4231 HMAC-SHA256 and FIPS 180 SHA-256 vectors for the libcrypto-backed primitives the signatures use.
@Suite struct CryptoVectorTests {
    @Test func rfc4231() {
        #expect(Hex.encode(Crypto.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Case 6: a key longer than the block size is hashed first.
        #expect(Hex.encode(Crypto.hmacSHA256(
            key: [UInt8](repeating: 0xaa, count: 131),
            message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
            == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        // Case 1.
        #expect(Hex.encode(Crypto.hmacSHA256(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8)))
            == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    @Test func sha256() {
        #expect(Hex.encode(Crypto.sha256([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Hex.encode(Crypto.sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func emptyKeyAndMessage() {
        #expect(Hex.encode(Crypto.hmacSHA256(key: [UInt8](), message: [UInt8]()))
            == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    /// A prepared key gives the RFC 4231 MACs, and the raw key's MAC for keys around the block size (hashed first
    /// when longer) and messages around it, each prepared key serving several messages.
    @Test func preparedKeysGiveTheSameMACs() {
        #expect(Hex.encode(Crypto.hmacSHA256(key: HMACKey(Array("Jefe".utf8)), message: Array("what do ya want for nothing?".utf8)))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(Hex.encode(Crypto.hmacSHA256(
            key: HMACKey([UInt8](repeating: 0xaa, count: 131)),
            message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
            == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        for keyLength in [0, 1, 16, 63, 64, 65, 200] {
            let raw = (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let prepared = HMACKey(raw)
            for messageLength in [0, 1, 55, 56, 64, 119, 1000] {
                let message = (0..<messageLength).map { UInt8(truncatingIfNeeded: $0 &* 13) }
                #expect(Crypto.hmacSHA256(key: prepared, message: message) == Crypto.hmacSHA256(key: raw, message: message),
                        "key \(keyLength), message \(messageLength)")
            }
        }
    }
}
