import Foundation
import Testing

@testable import Secrets

/// `JWKSEndpoint`: which `JWT_JWKS_URL`s are accepted, and the fetch against the helper's real HTTP(S) servers
/// (status, timeout by its cause, certificate verification). Errors name the setting, never the URL.
@Suite(.timeLimit(.minutes(2)))
struct JWKSEndpointTests {
    @Test(arguments: [
        "https://idp.example.test/auth/v1/.well-known/jwks.json", "HTTPS://IDP.EXAMPLE.TEST/jwks",
        "https://[2001:db8::1]:8443/jwks", "https://idp.example.test", "http://127.0.0.1:8080/jwks",
        "http://127.0.0.1/jwks", "http://[::1]:9/x", "http://127.0.0.1:65535?x=1",
    ])
    func accepted(_ url: String) throws {
        #expect(JWKSEndpoint.isAllowed(url))
        _ = try JWKSEndpoint(url: url)
    }

    @Test(arguments: [
        "http://idp.example.test/jwks", "http://localhost:8080/jwks", "http://127.0.0.1.evil.test/jwks",
        "http://127.0.0.1@evil.test/jwks", "http://evil.test#@127.0.0.1", "http://127.0.0.2/jwks",
        "http://127.0.0.1:/jwks", "http://127.0.0.1:123456/jwks", "http://127.0.0.1:99999/jwks", "http://127.0.0.1:80a/jwks",
        "https://user:password@idp.example.test/jwks", "https://", "https:///jwks", "https://:443/jwks",
        "https://idp.example.test/a b", "https://idp.example.test/\n", "file:///etc/passwd", "ftp://idp.example.test/",
        "idp.example.test/jwks", "", "//idp.example.test/jwks",
    ])
    func refused(_ url: String) {
        #expect(!JWKSEndpoint.isAllowed(url))
        do {
            _ = try JWKSEndpoint(url: url)
            Issue.record("accepted JWT_JWKS_URL=\(url)")
        } catch {
            #expect(error.code == .notConfigured)
            #expect(error.description == "JWT_JWKS_URL is not configured: must be an https:// URL (http:// only to 127.0.0.1 or [::1])")
        }
    }

    @Test func fetchesTheDocumentWithAnAcceptHeader() throws {
        let moto = try MotoServer.shared.get()
        let endpoint = try JWKSEndpoint(url: moto.echoURL + "/jwks.json")
        let body = try endpoint.fetch(timeoutMilliseconds: 5000)
        let echoed = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        let headers = try #require(echoed["headers"] as? [String: String])
        #expect(headers["accept"] == "application/json")
        // Again on the same handle.
        #expect(try endpoint.fetch(timeoutMilliseconds: 5000) == body)
    }

    @Test(arguments: [(503, SecretsError.Code.unavailable), (429, .unavailable), (404, .malformed), (302, .malformed)])
    func anAnswerOtherThan200IsAFailure(status: Int, code: SecretsError.Code) throws {
        let moto = try MotoServer.shared.get()
        let url = moto.echoURL + "/status/\(status)/jwks-secret-path"
        let error = try #require(throws: SecretsError.self) { try JWKSEndpoint(url: url).fetch(timeoutMilliseconds: 5000) }
        #expect(error.code == code)
        #expect(error.description.hasPrefix("JWT_JWKS_URL "))
        #expect(error.reason == "HTTP \(status)")
        #expect(!error.description.contains("jwks-secret-path") && !error.description.contains(moto.echoURL))
    }

    /// The server holds the request until released: the fetch gives up by its own timeout, unanswered.
    @Test func aFetchIsAbandonedAtItsTimeoutWhileTheServerStillHoldsIt() throws {
        let moto = try MotoServer.shared.get()
        let hold = UUID().uuidString
        defer { try? moto.release(hold) }
        let error = try #require(throws: SecretsError.self) {
            try JWKSEndpoint(url: moto.echoURL + "/hold/" + hold).fetch(timeoutMilliseconds: 200)
        }
        #expect(error.code == .unavailable)
        #expect(error.reason == "no answer within 200 ms")
        #expect(try moto.holdState(hold) != "released")
    }

    /// HTTPS is verified against the system's CA bundle, which does not trust the helper's self-signed certificate.
    @Test func anUntrustedCertificateIsAFailure() throws {
        let moto = try MotoServer.shared.get()
        let error = try #require(throws: SecretsError.self) {
            try JWKSEndpoint(url: moto.tlsURL + "/jwks").fetch(timeoutMilliseconds: 5000)
        }
        #expect(error.code == .unavailable)
        #expect(error.reason.hasPrefix("transport failure: "))
    }

    @Test func aClosedPortIsUnavailable() throws {
        let error = try #require(throws: SecretsError.self) {
            try JWKSEndpoint(url: "http://127.0.0.1:1/jwks").fetch(timeoutMilliseconds: 5000)
        }
        #expect(error.code == .unavailable)
        #expect(error.description.hasPrefix("JWT_JWKS_URL is unavailable (transport failure: "))
    }
}
