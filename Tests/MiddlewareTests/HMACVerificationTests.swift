import Testing
import WardenCrypto

@testable import Middleware

@Suite struct HMACVerificationTests {
    let secret = Array("test-secret".utf8)
    let now: Int64 = 1_780_000_000_000
    var verifier: HMACVerification { HMACVerification(secret: secret) }

    func signed(body: String = #"{"customerId":"acme"}"#, timestamp: Int64? = nil, client: String = "copilot-frontend",
                tamper: ((inout [String: String]) -> Void)? = nil) throws -> APIGatewayRequest {
        let ts = String(timestamp ?? now)
        var headers = [
            "X-Timestamp": ts, "X-Client": client,
            "X-Signature": verifier.signature(timestamp: ts, client: client, body: Array(body.utf8)),
        ]
        tamper?(&headers)
        return try APIGatewayRequest(event: Fixtures.restEvent(headers: headers, body: body))
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
        let req = try signed { $0["X-Timestamp"] = ts }
        #expect(throws: EnvelopeError.self) { try verifier.verify(req, nowMilliseconds: now) }
    }

    @Test func rejectsTamperedBodyClientAndSignature() throws {
        let good = try signed()
        let sig = try #require(good.header("x-signature").value)
        let bodyTampered = try APIGatewayRequest(event: Fixtures.restEvent(
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
        let none = try APIGatewayRequest(event: Fixtures.restEvent(headers: nil))
        #expect(throws: EnvelopeError.self) { try verifier.verify(none, nowMilliseconds: now) }
    }

    @Test func conflictingDuplicateHeadersAreRefused() throws {
        let ts = String(now)
        let body = #"{"customerId":"acme"}"#
        let sig = verifier.signature(timestamp: ts, client: "copilot-frontend", body: Array(body.utf8))
        let req = try APIGatewayRequest(event: Fixtures.restEvent(
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
        let req = try APIGatewayRequest(event: Fixtures.restEvent(
            headers: ["X-Timestamp": ts, "X-Client": "c", "X-Signature": sig],
            body: "eyJjdXN0b21lcklkIjoiYWNtZSJ9", isBase64Encoded: true))
        #expect(req.body == Array(body.utf8))
        #expect(throws: Never.self) { try verifier.verify(req, nowMilliseconds: now) }
    }
}
