#if canImport(Glibc)
import Glibc
#endif
import Testing
import WardenJSON

@testable import Middleware

/// The test vectors published in docs/SIGNING.md, checked against the implementation.
@Suite struct SigningVectorTests {
    static func vectors() throws -> [JSON] {
        let docPath = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        let text = try String(contentsOfFileAtPath: "/" + docPath + "/docs/SIGNING.md")
        let bytes = Array(text.utf8)
        let marker = Array("## Test vectors".utf8)
        let fence = Array("```json\n".utf8)
        guard let at = bytes.firstRange(of: marker), let open = bytes[at.upperBound...].firstRange(of: fence),
            let close = bytes[open.upperBound...].firstRange(of: Array("```".utf8))
        else { throw VectorError() }
        return try #require(JSON.parse(bytes[open.upperBound..<close.lowerBound]).arrayValue)
    }

    struct VectorError: Error {}

    @Test func vectorsMatch() throws {
        let vectors = try Self.vectors()
        #expect(vectors.count >= 4)
        for v in vectors {
            let key = Array(try #require(v["key"]?.stringValue).utf8)
            let ts = try #require(v["timestamp"]?.stringValue)
            let client = try #require(v["client"]?.stringValue)
            let body = Array(try #require(v["body"]?.stringValue).utf8)
            let expected = try #require(v["signature"]?.stringValue)
            if v["scheme"]?.stringValue == "v1" {
                #expect(HMACVerification(keyring: ClientKeyring(clients: [client: .init(keys: [key], schemes: [.v1])]))
                    .signature(timestamp: ts, client: client, body: body) == expected)
            } else {
                let method = try #require(v["method"]?.stringValue), path = try #require(v["path"]?.stringValue)
                let nonce = try #require(v["nonce"]?.stringValue)
                let canonical = HMACVerification.canonicalV2(method: method, path: path, timestamp: ts, nonce: nonce, client: client, body: body)
                #expect(String(decoding: canonical, as: UTF8.self) == v["stringToSign"]?.stringValue)
                #expect(HMACVerification.signatureV2(key: key, method: method, path: path, timestamp: ts, nonce: nonce, client: client, body: body) == expected)
            }
        }
    }
}

extension String {
    init(contentsOfFileAtPath path: String) throws {
        // Foundation-free file read for the test (swift-testing links no Foundation here).
        var bytes: [UInt8] = []
        guard let file = fopen(path, "r") else { throw SigningVectorTests.VectorError() }
        defer { fclose(file) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        self = String(decoding: bytes, as: UTF8.self)
    }
}
