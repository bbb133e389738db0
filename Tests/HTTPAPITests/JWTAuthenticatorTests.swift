import Testing

@testable import HTTPAPI

/// `JWTAuthenticator.fromEnvironment`: the clock leeway setting (`JWT_CLOCK_LEEWAY_SECONDS`).
@Suite struct JWTAuthenticatorTests {
    static let secret = "middleware-test-jwt-secret-0123456789abcdef"

    static func environment(_ leeway: String?) -> (String) -> String? {
        { name in
            switch name {
            case "JWT_SECRET": secret
            case "JWT_CLOCK_LEEWAY_SECONDS": leeway
            default: nil
            }
        }
    }

    @Test(arguments: [(String?.none, Int64(30)), ("", 30), ("0", 0), ("10", 10), ("300", 300)])
    func leeway(setting: String?, expected: Int64) throws {
        let authenticator = try JWTAuthenticator.fromEnvironment(Self.environment(setting))
        #expect(authenticator.verifier.leewaySeconds == expected)
    }

    @Test(arguments: ["-1", "301", "30s", " 30", "+5", "1.5", "lots"])
    func invalidLeewayFailsInitialization(setting: String) {
        do {
            _ = try JWTAuthenticator.fromEnvironment(Self.environment(setting))
            Issue.record("accepted JWT_CLOCK_LEEWAY_SECONDS=\(setting)")
        } catch {
            let expected = "Configuration error: JWT_CLOCK_LEEWAY_SECONDS must be a whole number of seconds from 0 to 300"
            #expect(error.message == expected)
        }
    }
}
