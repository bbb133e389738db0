import LambdaHTTP
import Testing
import WardenJSON

@testable import Middleware

@Suite struct EnvelopeTests {
    let cors = CORSPolicy(allowedOrigins: ["https://app.example.com", "https://admin.example.com"])

    @Test func successEnvelope() throws {
        let out = try JSON.parse(HTTPResponse.success(data: ["score": 72], headers: cors.headers(origin: nil)).apiGatewayResult())
        #expect(out["statusCode"] == .int(200))
        #expect(out["isBase64Encoded"] == .bool(false))
        let body = try JSON.parse(try #require(out["body"]?.stringValue))
        #expect(body == ["ok": true, "data": ["score": 72], "error": nil])
        #expect(body.serialized() == Array(#"{"ok":true,"data":{"score":72},"error":null}"#.utf8))
    }

    @Test func failureEnvelopeCarriesStatusAndCode() throws {
        for code in ErrorCode.framework {
            let out = try JSON.parse(HTTPResponse.failure(EnvelopeError(code, "m"), headers: []).apiGatewayResult())
            #expect(out["statusCode"] == .int(Int64(code.status)))
            let body = try JSON.parse(try #require(out["body"]?.stringValue))
            #expect(body == ["ok": false, "data": nil, "error": ["code": .string(code.rawValue), "message": "m"]])
        }
    }

    @Test func corsHeadersEchoOnlyAllowedOrigins() {
        func value(_ name: String, _ origin: String?) -> String? { cors.headers(origin: origin).first { $0.0 == name }?.1 }
        #expect(value("Access-Control-Allow-Origin", "https://admin.example.com") == "https://admin.example.com")
        #expect(value("Access-Control-Allow-Origin", "https://evil.example.com") == "https://app.example.com")
        #expect(value("Access-Control-Allow-Origin", nil) == "https://app.example.com")
        #expect(value("Vary", nil) == "Origin")
        #expect(value("Access-Control-Allow-Methods", nil) == "POST")
        #expect(value("Access-Control-Allow-Headers", nil) == "Content-Type,X-Signature,X-Timestamp,X-Client")
        #expect(value("X-Content-Type-Options", nil) == "nosniff")
        #expect(value("Cache-Control", nil) == "no-store")
    }

    @Test func allowedOriginSettingIsParsed() {
        let p = CORSPolicy(allowedOriginSetting: " https://a.example , https://b.example,, ")
        #expect(p.allowedOrigins == ["https://a.example", "https://b.example"])
        #expect(CORSPolicy(allowedOriginSetting: nil).headers(origin: "https://x").first ?? ("", "") == ("Access-Control-Allow-Origin", "null"))
        #expect(p.headers(origin: "https://b.example").first ?? ("", "") == ("Access-Control-Allow-Origin", "https://b.example"))
    }

    @Test func onlyToolFailureForUnknownErrors() {
        struct Internal: Error {}
        #expect(EnvelopeError.from(Internal()) == .toolFailure)
        #expect(EnvelopeError.from(EnvelopeError(.missingData, "x")).code == .missingData)
    }
}
