import Bytes
import LambdaHTTP
import Testing
import WardenCrypto

@testable import Middleware

@Suite struct HMACVerificationTests {
    let secret = Array("test-secret".utf8)
    let now: Int64 = 1_780_000_000_000
    var verifier: HMACVerification { HMACVerification(secret: secret) }

    func signed(body: String = #"{"customerId":"acme"}"#, timestamp: Int64? = nil, client: String = "copilot-frontend",
                tamper: ((inout [String: String]) -> Void)? = nil) throws -> HTTPRequest {
        let ts = String(timestamp ?? now)
        var headers = [
            "X-Timestamp": ts, "X-Client": client,
            "X-Signature": verifier.signature(timestamp: ts, client: client, body: Array(body.utf8)),
        ]
        tamper?(&headers)
        return try HTTPRequest(event: Fixtures.restEvent(headers: headers, body: body))
    }

    @Test func knownVector() {
        // Computed independently: python3 -c "import hmac,hashlib;print(hmac.new(b'test-secret',
        // b'1780000000000.copilot-frontend.{\"customerId\":\"acme\"}',hashlib.sha256).hexdigest())"
        let sig = verifier.signature(timestamp: "1780000000000", client: "copilot-frontend", body: Array(#"{"customerId":"acme"}"#.utf8))
        #expect(sig == "217d086e5900f7ff160aa2750d2b02eb03a847f4a8559de97b39d67dbe075141")
    }

    @Test func acceptsValidSignatureAndReturnsClient() throws {
        #expect(try verifier.verify(signed(), nowMilliseconds: now).clientID == "copilot-frontend")
    }

    @Test func v1ReplayKeysArePerFunction() throws {
        // The copilot front end signs a parallel round to several tools with one timestamp and body: the same v1
        // signature is one request per tool (CONTRACTS.md §1), so it is recorded once per function.
        let verified = try verifier.verify(signed(), nowMilliseconds: now)
        let hex = "217d086e5900f7ff160aa2750d2b02eb03a847f4a8559de97b39d67dbe075141"
        #expect(verified.replayKey(function: "calculate_health") == "v1:calculate_health:\(hex)")
        #expect(verified.replayKey(function: "get_contract_info") == "v1:get_contract_info:\(hex)")
        let again = try verifier.verify(signed(), nowMilliseconds: now)
        #expect(again.replayKey(function: "calculate_health") == verified.replayKey(function: "calculate_health"))
    }

    @Test func acceptsUppercaseHexAndLowercaseHeaderNames() throws {
        let req = try signed { h in
            h["x-signature"] = h.removeValue(forKey: "X-Signature")?.uppercased()
            h["x-timestamp"] = h.removeValue(forKey: "X-Timestamp")
        }
        #expect(throws: Never.self) { try verifier.verify(req, nowMilliseconds: now) }
    }

    @Test func skewWindowIsFiveMinutesEachWay() throws {
        let fiveMinutes: Int64 = 300_000
        #expect(throws: Never.self) { try verifier.verify(signed(timestamp: now - fiveMinutes), nowMilliseconds: now) }
        #expect(throws: Never.self) { try verifier.verify(signed(timestamp: now + fiveMinutes), nowMilliseconds: now) }
        for ts in [now - fiveMinutes - 1, now + fiveMinutes + 1, now - 360_000, now + 360_000] {
            let req = try signed(timestamp: ts)
            #expect(throws: EnvelopeError(.unauthorized, "Request timestamp outside the allowed window.")) {
                try verifier.verify(req, nowMilliseconds: now)
            }
        }
    }

    @Test(arguments: ["abc", "", "1.5e12", "-1780000000000", " 1780000000000", "17800000000001234567", "0x1A"])
    func rejectsNonNumericTimestamps(_ ts: String) throws {
        // Signed over the bad timestamp itself, so only the timestamp rule can refuse it.
        let body = #"{"customerId":"acme"}"#
        let req = try HTTPRequest(event: Fixtures.restEvent(headers: [
            "X-Timestamp": ts, "X-Client": "copilot-frontend",
            "X-Signature": verifier.signature(timestamp: ts, client: "copilot-frontend", body: Array(body.utf8)),
        ], body: body))
        #expect {
            try verifier.verify(req, nowMilliseconds: now)
        } throws: { error in
            (error as? EnvelopeError)?.message == "Invalid timestamp."
        }
    }

    @Test func rejectsTamperedBodyClientAndSignature() throws {
        let good = try signed()
        let sig = try #require(good.header("x-signature").value)
        let bodyTampered = try HTTPRequest(event: Fixtures.restEvent(
            headers: ["X-Timestamp": String(now), "X-Client": "copilot-frontend", "X-Signature": sig],
            body: #"{"customerId":"acme2"}"#))
        let clientTampered = try signed { $0["X-Client"] = "other-client" }
        let truncated = try signed { $0["X-Signature"] = String(sig.dropLast()) }
        let notHex = try signed { $0["X-Signature"] = String(repeating: "z", count: 64) }
        let otherSecret = HMACVerification(secret: Array("other".utf8))
        let wrongKey = try signed { $0["X-Signature"] = otherSecret.signature(timestamp: String(now), client: "copilot-frontend", body: Array(#"{"customerId":"acme"}"#.utf8)) }
        for req in [bodyTampered, clientTampered, truncated, notHex, wrongKey] {
            #expect(throws: EnvelopeError(.unauthorized, "Invalid signature.")) { try verifier.verify(req, nowMilliseconds: now) }
        }
    }

    @Test func missingHeadersAreUnauthorized() throws {
        for drop in ["X-Signature", "X-Timestamp", "X-Client"] {
            let req = try signed { _ = $0.removeValue(forKey: drop) }
            #expect(throws: EnvelopeError(.unauthorized, "Missing or ambiguous authentication headers.")) {
                try verifier.verify(req, nowMilliseconds: now)
            }
        }
        let none = try HTTPRequest(event: Fixtures.restEvent(headers: nil))
        #expect(throws: EnvelopeError.self) { try verifier.verify(none, nowMilliseconds: now) }
    }

    @Test func conflictingDuplicateHeadersAreRefused() throws {
        let ts = String(now)
        let body = #"{"customerId":"acme"}"#
        let sig = verifier.signature(timestamp: ts, client: "copilot-frontend", body: Array(body.utf8))
        let req = try HTTPRequest(event: Fixtures.restEvent(
            headers: ["X-Timestamp": ts, "X-Client": "copilot-frontend", "X-Signature": sig],
            multiValueHeaders: ["x-signature": [sig, String(repeating: "0", count: 64)]],
            body: body))
        #expect(req.header("x-signature") == .conflict)
        #expect(throws: EnvelopeError.self) { try verifier.verify(req, nowMilliseconds: now) }
    }

    @Test func base64BodiesAreVerifiedOverDecodedBytes() throws {
        let body = #"{"customerId":"acme"}"#
        let ts = String(now)
        let sig = verifier.signature(timestamp: ts, client: "c", body: Array(body.utf8))
        let req = try HTTPRequest(event: Fixtures.restEvent(
            headers: ["X-Timestamp": ts, "X-Client": "c", "X-Signature": sig],
            body: "eyJjdXN0b21lcklkIjoiYWNtZSJ9", isBase64Encoded: true))
        #expect(req.body == Array(body.utf8))
        #expect(throws: Never.self) { try verifier.verify(req, nowMilliseconds: now) }
    }
}

@Suite struct SignatureV2Tests {
    let now: Int64 = 1_780_000_000_000
    let keyA = Array("reports-job-key-2026-a".utf8)
    let keyB = Array("reports-job-key-2026-b".utf8)
    var verifier: HMACVerification {
        HMACVerification(keyring: ClientKeyring(clients: [
            "reports-job": .init(keys: [keyA, keyB], schemes: [.v2]),
            "legacy": .init(keys: [Array("legacy-key-0123456789".utf8)], schemes: [.v1]),
        ]))
    }

    func request(method: String = "POST", path: String = "/calculate_health", client: String = "reports-job",
                 nonce: String = "nonce-0123456789abcdef", body: String = #"{"customerId":"acme"}"#,
                 signature: ((String) -> String)? = nil, signWith key: [UInt8]? = nil) throws -> HTTPRequest {
        let ts = String(now)
        let sig = HMACVerification.signatureV2(key: key ?? keyA, method: method, path: path, timestamp: ts, nonce: nonce, client: client, body: Array(body.utf8))
        let headers = ["X-Timestamp": ts, "X-Client": client, "X-Nonce": nonce, "X-Signature": signature?(sig) ?? "v2=\(sig)"]
        return try HTTPRequest(event: Fixtures.restEvent(method: method, path: path, headers: headers, body: body))
    }

    @Test func acceptsEitherActiveKeyAndListsOfSignatures() throws {
        let a = try verifier.verify(request(), nowMilliseconds: now)
        #expect(a == VerifiedRequest(clientID: "reports-job", scheme: .v2, uniqueness: "reports-job:nonce-0123456789abcdef"))
        // A v2 nonce is one request whatever the function: its replay key is the same for every tool.
        #expect(a.replayKey(function: "calculate_health") == "v2:reports-job:nonce-0123456789abcdef")
        #expect(a.replayKey(function: "get_contract_info") == a.replayKey(function: "calculate_health"))
        #expect(throws: Never.self) { try verifier.verify(request(signWith: keyB), nowMilliseconds: now) }
        let junk = String(repeating: "0", count: 64)
        #expect(throws: Never.self) { try verifier.verify(request(signature: { "v2=\(junk), v2=\($0)" }), nowMilliseconds: now) }
    }

    @Test func bindsMethodPathAndNonce() throws {
        // Signed for one request, presented as another: each part is covered by the signature.
        let signed = try request()
        let sig = try #require(signed.header("x-signature").value)
        for other in [try request(method: "PUT", signature: { _ in sig }), try request(path: "/generate_email", signature: { _ in sig }),
                      try request(nonce: "another-nonce-123456", signature: { _ in sig }), try request(body: "{}", signature: { _ in sig })] {
            #expect(throws: EnvelopeError(.unauthorized, "Invalid signature.")) { try verifier.verify(other, nowMilliseconds: now) }
        }
    }

    @Test(arguments: ["", "v2=", "v2=zz", "v1=abc", "v2=\(String(repeating: "a", count: 64)),", "v2=\(String(repeating: "a", count: 63))"])
    func malformedSignatureListsAreRefused(_ header: String) throws {
        #expect(throws: EnvelopeError.self) { try verifier.verify(request(signature: { _ in header }), nowMilliseconds: now) }
    }

    @Test func tooManySignaturesAreRefused() throws {
        let list = { (sig: String) in Array(repeating: "v2=\(sig)", count: 6).joined(separator: ",") }
        #expect(throws: EnvelopeError.self) { try verifier.verify(request(signature: list), nowMilliseconds: now) }
    }

    @Test(arguments: ["short", "has space in it here", "ünïcode-nonce-12345", String(repeating: "n", count: 129)])
    func badNoncesAreRefused(_ nonce: String) throws {
        #expect(throws: EnvelopeError(.unauthorized, "Missing or invalid nonce.")) {
            try verifier.verify(request(nonce: nonce), nowMilliseconds: now)
        }
    }

    @Test func schemesAreEnforcedPerClientAndUnknownClientsLookLikeBadSignatures() throws {
        let ts = String(now), body = Array(#"{"customerId":"acme"}"#.utf8)
        // reports-job is configured for v2 only: its key signing v1 is refused.
        let v1 = Hex.encode(HMACVerification.macV1(key: HMACKey(keyA), timestamp: ts, client: "reports-job", body: body))
        let v1Request = try HTTPRequest(event: Fixtures.restEvent(headers: ["X-Timestamp": ts, "X-Client": "reports-job", "X-Signature": v1]))
        #expect(throws: EnvelopeError(.unauthorized, "Invalid signature.")) { try verifier.verify(v1Request, nowMilliseconds: now) }
        // legacy is v1 only.
        #expect(throws: EnvelopeError(.unauthorized, "Invalid signature.")) {
            try verifier.verify(request(client: "legacy", signWith: Array("legacy-key-0123456789".utf8)), nowMilliseconds: now)
        }
        #expect(throws: EnvelopeError(.unauthorized, "Invalid signature.")) { try verifier.verify(request(client: "stranger"), nowMilliseconds: now) }
    }

    @Test func keyringDocumentIsValidated() {
        #expect(throws: InitializationError.self) { try ClientKeyring.parse("not json") }
        #expect(throws: InitializationError.self) { try ClientKeyring.parse(#"{"c": {"keys": ["short"]}}"#) }
        #expect(throws: InitializationError.self) { try ClientKeyring.parse(#"{"c": {"keys": ["0123456789abcdef"], "schemes": ["v3"]}}"#) }
        #expect(throws: Never.self) { try ClientKeyring.parse(#"{"c": {"keys": ["0123456789abcdef"], "schemes": ["v1"]}}"#) }
        do {
            _ = try ClientKeyring.parse(#"{"c": {"keys": ["secret-but-short"]}, "d": {"keys": [1]}}"#)
            Issue.record("a keyring with a short key was accepted")
        } catch {
            #expect(!error.message.utf8.containsBytes("secret-but-short".utf8))
        }
    }
}
