import Curl
import Foundation
import Testing

/// What libcurl puts on the wire for signed and unsigned requests on one reused handle, seen by the echo server.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct CurlSigningTests {
    let moto: MotoServer

    init() throws {
        moto = try MotoServer.shared.get()
    }

    /// The request headers the echo server received (lowercased names).
    func echoedHeaders(_ response: HTTPResponse) throws -> [String: String] {
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return try #require(object?["headers"] as? [String: String])
    }

    @Test func signedThenUnsignedOnOneHandle() throws {
        let curl = try CurlEasy()
        let signing = AWSSigV4(
            region: "eu-west-1", service: "ssm", accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG",
            sessionToken: "session-token-1"
        )
        let headers = [HTTPHeader("Content-Type", "application/x-amz-json-1.1"), HTTPHeader("X-Amz-Target", "AmazonSSM.GetParameter")]

        let signed = try echoedHeaders(
            curl.perform(method: "POST", url: moto.echoURL + "/", headers: headers, body: Array("{}".utf8), signing: signing)
        )
        let authorization = try #require(signed["authorization"])
        #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"))
        #expect(authorization.contains("/eu-west-1/ssm/aws4_request"))
        #expect(authorization.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target"))
        #expect(!authorization.contains("wJalrXUtnFEMI"))
        #expect(signed["x-amz-date"] != nil)
        #expect(signed["x-amz-security-token"] == "session-token-1")

        // Same handle, no signing: nothing of the previous request's authentication may remain.
        let plain = try echoedHeaders(curl.perform(method: "POST", url: moto.echoURL + "/", headers: headers, body: Array("{}".utf8)))
        #expect(plain["authorization"] == nil)
        #expect(plain["x-amz-date"] == nil)
        #expect(plain["x-amz-security-token"] == nil)

        let get = try echoedHeaders(curl.perform(method: "GET", url: moto.echoURL + "/next"))
        #expect(get["authorization"] == nil)

        // Signing again after a plain request works, without a token this time.
        let unsignedToken = AWSSigV4(provider: "aws:amz:us-east-1:secretsmanager", accessKeyID: "AKID2", secretAccessKey: "s2")
        let again = try echoedHeaders(curl.perform(method: "POST", url: moto.echoURL + "/", body: [], signing: unsignedToken))
        #expect(again["authorization"]?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKID2/") == true)
        #expect(again["x-amz-security-token"] == nil)
    }

    @Test func httpsTrustsTheGivenCABundleOnly() throws {
        let curl = try CurlEasy()
        // The default (this machine's bundle) does not trust the test certificate.
        let untrusted = #expect(throws: CurlError.self) { try curl.perform(method: "GET", url: moto.tlsURL + "/", timeoutMilliseconds: 5000) }
        #expect(untrusted?.code == .transfer)
        let trusted = try curl.perform(method: "GET", url: moto.tlsURL + "/", timeoutMilliseconds: 5000, caBundlePath: moto.caFile)
        #expect(trusted.status == 200)
        // A verified connection is not reused for a request that would not trust it.
        #expect(throws: CurlError.self) { try curl.perform(method: "GET", url: moto.tlsURL + "/", timeoutMilliseconds: 5000) }
        // Signed HTTPS with the test bundle.
        let signing = AWSSigV4(region: "us-east-1", service: "ssm", accessKeyID: "AKIDTLS", secretAccessKey: "tls-secret")
        let signed = try curl.perform(
            method: "POST", url: moto.tlsURL + "/", body: Array("{}".utf8), timeoutMilliseconds: 5000, signing: signing,
            caBundlePath: moto.caFile
        )
        #expect(try echoedHeaders(signed)["authorization"]?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDTLS/") == true)
    }

    @Test func signingDescriptionsHideTheKeys() {
        let signing = AWSSigV4(region: "us-east-1", service: "ssm", accessKeyID: "AKIDVISIBLE", secretAccessKey: "hidden-secret", sessionToken: "hidden-token")
        var dumped = ""
        dump(signing, to: &dumped)
        for text in [signing.description, String(reflecting: signing), "\(signing)", dumped] {
            #expect(!text.contains("hidden-secret"))
            #expect(!text.contains("hidden-token"))
            #expect(!text.contains("AKIDVISIBLE"))
        }
    }
}
