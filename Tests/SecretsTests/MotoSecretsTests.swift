import Testing

@testable import Secrets

/// `SSMClient`, `SecretsManagerClient` and `FunctionSecrets` against a real moto server with SigV4 enforced.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct MotoSecretsTests {
    let moto: MotoServer

    init() throws {
        moto = try MotoServer.shared.get()
    }

    /// The environment of a function holding `keys`, with every AWS endpoint pointed at moto.
    func environment(_ keys: MotoServer.Keys, _ extra: [String: String] = [:]) -> (String) -> String? {
        var env = [
            "AWS_ACCESS_KEY_ID": keys.accessKeyID,
            "AWS_SECRET_ACCESS_KEY": keys.secretAccessKey,
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": moto.url,
        ]
        if let token = keys.sessionToken { env["AWS_SESSION_TOKEN"] = token }
        env.merge(extra) { _, new in new }
        return { env[$0] }
    }

    func credentials(_ keys: MotoServer.Keys) -> AWSCredentials {
        AWSCredentials(
            accessKeyID: keys.accessKeyID, secretAccessKey: keys.secretAccessKey, sessionToken: keys.sessionToken,
            region: "us-east-1"
        )
    }

    /// Asserts that none of `secrets` occurs in `error`'s description, reason or subject.
    func expectNoSecret(in error: SecretsError, _ secrets: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in secrets where !secret.isEmpty {
            let text = "\(error.description) \(error.reason) \(error.subject) \(String(reflecting: error))"
            #expect(!text.contains(secret), "error text leaks a secret: \(error.code)", sourceLocation: sourceLocation)
        }
    }

    // MARK: Reading

    @Test func userKeysReadASecureStringWithDecryption() throws {
        try moto.putParameter("/warden/test/secure", "secure-value-1")
        let ssm = try SSMClient(credentials: credentials(moto.user), endpoint: moto.url)
        #expect(try ssm.getParameter(name: "/warden/test/secure", withDecryption: true) == "secure-value-1")
        // The same handle again: keep-alive reuse must not break signing.
        #expect(try ssm.getParameter(name: "/warden/test/secure") == "secure-value-1")
    }

    @Test func assumedRoleWithSessionTokenReadsTheDefaultHMACParameter() throws {
        try moto.putParameter(FunctionSecrets.defaultHMACParameterName, "hmac-from-ssm")
        let secrets = FunctionSecrets(environment: environment(moto.role))
        #expect(moto.role.sessionToken != nil)
        #expect(try secrets.hmacSecret() == Array("hmac-from-ssm".utf8))
        #expect(secrets.hmacSecretGeneration == 1)
    }

    @Test func hmacParameterNameIsHonoured() throws {
        try moto.putParameter("/warden/test/hmac-named", "named-hmac")
        let secrets = FunctionSecrets(environment: environment(moto.user, ["HMAC_PARAM_NAME": "/warden/test/hmac-named"]))
        #expect(try secrets.hmacSecret() == Array("named-hmac".utf8))
    }

    @Test func rdsSecretFromSecretsManagerBecomesAURL() throws {
        let json = #"{"username":"app_user","password":"p@ss:w/rd?#&=+ %é","engine":"postgres","host":"db.cluster-x.us-east-1.rds.amazonaws.com","port":"5432","dbname":"copilot","dbInstanceIdentifier":"db"}"#
        let arn = try moto.putSecret("warden/test/rds", json)
        let client = try SecretsManagerClient(credentials: credentials(moto.role), endpoint: moto.url)
        #expect(try client.getSecretValue(secretId: arn) == json)

        let secrets = FunctionSecrets(environment: environment(moto.role, ["DATABASE_SECRET_ARN": arn]))
        let url = try secrets.databaseURL()
        #expect(url == "postgresql://app_user:p%40ss%3Aw%2Frd%3F%23%26%3D%2B%20%25%C3%A9@db.cluster-x.us-east-1.rds.amazonaws.com:5432/copilot?sslmode=require")
        #expect(secrets.databaseURLGeneration == 1)
    }

    @Test func databaseURLFromAnSSMParameter() throws {
        try moto.putParameter("/warden/test/database-url", "postgresql://u:pw@db.internal:5432/app?sslmode=verify-full")
        let secrets = FunctionSecrets(environment: environment(moto.user, ["DATABASE_URL_PARAM_NAME": "/warden/test/database-url"]))
        #expect(try secrets.databaseURL() == "postgresql://u:pw@db.internal:5432/app?sslmode=verify-full")
    }

    // MARK: Failures

    @Test func wrongSecretKeyIsAccessDenied() throws {
        try moto.putParameter("/warden/test/denied", "must-not-leak-1")
        let wrongSecret = "WrongSecretKeyWrongSecretKeyWrongSecret0"
        let keys = MotoServer.Keys(accessKeyID: moto.user.accessKeyID, secretAccessKey: wrongSecret, sessionToken: nil)
        let ssm = try SSMClient(credentials: credentials(keys), endpoint: moto.url)
        let error = try #require(throws: SecretsError.self) { try ssm.getParameter(name: "/warden/test/denied") }
        #expect(error.code == .accessDenied)
        #expect(error.description.contains("/warden/test/denied"))
        #expect(error.description.contains("SignatureDoesNotMatch"))
        #expect(error.description.contains("access denied"))
        expectNoSecret(in: error, [wrongSecret, moto.user.secretAccessKey, "must-not-leak-1", moto.url])
    }

    @Test func unknownAccessKeyIsAccessDenied() throws {
        let keys = MotoServer.Keys(accessKeyID: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "unknown-secret-key", sessionToken: nil)
        let ssm = try SSMClient(credentials: credentials(keys), endpoint: moto.url)
        let error = try #require(throws: SecretsError.self) { try ssm.getParameter(name: "/warden/test/secure") }
        #expect(error.code == .accessDenied)
        #expect(error.reason.contains("InvalidClientTokenId"))
        expectNoSecret(in: error, ["unknown-secret-key"])
    }

    @Test func wrongSessionTokenIsAccessDenied() throws {
        let keys = MotoServer.Keys(
            accessKeyID: moto.role.accessKeyID, secretAccessKey: moto.role.secretAccessKey, sessionToken: "forged-token")
        let client = try SecretsManagerClient(credentials: credentials(keys), endpoint: moto.url)
        let error = try #require(throws: SecretsError.self) { try client.getSecretValue(secretId: "warden/test/rds") }
        #expect(error.code == .accessDenied)
        expectNoSecret(in: error, ["forged-token", moto.role.secretAccessKey])
    }

    @Test func identityWithoutPolicyIsAccessDenied() throws {
        try moto.putParameter("/warden/test/policy", "must-not-leak-2")
        let ssm = try SSMClient(credentials: credentials(moto.nobody), endpoint: moto.url)
        let error = try #require(throws: SecretsError.self) { try ssm.getParameter(name: "/warden/test/policy") }
        #expect(error.code == .accessDenied)
        #expect(error.reason.contains("AccessDenied"))
        expectNoSecret(in: error, ["must-not-leak-2", moto.nobody.secretAccessKey])
    }

    @Test func unknownParameterIsNotFound() throws {
        let ssm = try SSMClient(credentials: credentials(moto.user), endpoint: moto.url)
        let error = try #require(throws: SecretsError.self) { try ssm.getParameter(name: "/warden/test/absent") }
        #expect(error.code == .notFound)
        #expect(error.description == "SSM parameter /warden/test/absent was not found (ParameterNotFound, HTTP 400)")
    }

    @Test func unknownSecretIsNotFound() throws {
        let secrets = FunctionSecrets(environment: environment(moto.role, ["DATABASE_SECRET_ARN": "warden/test/absent"]))
        let error = try #require(throws: SecretsError.self) { try secrets.databaseURL() }
        #expect(error.code == .notFound)
        #expect(error.reason.contains("ResourceNotFoundException"))
        #expect(secrets.databaseURLGeneration == 0)
    }

    // MARK: TTL, rotation and transient failures

    @Test func rotatedParameterIsPickedUpAfterTheTTLOnly() throws {
        try moto.putParameter("/warden/test/rotating", "hmac-v1")
        let clock = TestClock()
        let secrets = FunctionSecrets(
            environment: environment(moto.user, ["HMAC_PARAM_NAME": "/warden/test/rotating", "SECRETS_TTL_SECONDS": "60"]),
            clock: { clock.now }
        )
        #expect(try secrets.hmacSecret() == Array("hmac-v1".utf8))
        try moto.putParameter("/warden/test/rotating", "hmac-v2")
        clock.advance(milliseconds: 59_999)
        #expect(try secrets.hmacSecret() == Array("hmac-v1".utf8))
        #expect(secrets.hmacSecretGeneration == 1)
        clock.advance(milliseconds: 1)
        #expect(try secrets.hmacSecret() == Array("hmac-v2".utf8))
        #expect(secrets.hmacSecretGeneration == 2)
    }

    @Test func rotatedDatabaseSecretChangesTheURLAndItsGeneration() throws {
        let first = #"{"username":"app","password":"old pass","host":"db.internal","port":5432,"dbname":"copilot"}"#
        let second = #"{"username":"app","password":"new/pass","host":"db.internal","port":5432,"dbname":"copilot"}"#
        let arn = try moto.putSecret("warden/test/rotating-db", first)
        let clock = TestClock()
        let secrets = FunctionSecrets(
            environment: environment(moto.role, ["DATABASE_SECRET_ARN": arn, "SECRETS_TTL_SECONDS": "300"]),
            clock: { clock.now }
        )
        #expect(try secrets.databaseURL() == "postgresql://app:old%20pass@db.internal:5432/copilot?sslmode=require")
        #expect(secrets.databaseURLGeneration == 1)
        try moto.putSecret("warden/test/rotating-db", second)
        clock.advance(milliseconds: 120_000)
        #expect(try secrets.databaseURL() == "postgresql://app:old%20pass@db.internal:5432/copilot?sslmode=require")
        // The database refused the old password: refetch before the TTL runs out.
        secrets.invalidateDatabaseURL()
        #expect(try secrets.databaseURL() == "postgresql://app:new%2Fpass@db.internal:5432/copilot?sslmode=require")
        #expect(secrets.databaseURLGeneration == 2)
        // An unchanged value keeps the generation.
        clock.advance(milliseconds: 300_000)
        _ = try secrets.databaseURL()
        #expect(secrets.databaseURLGeneration == 2)
    }

    @Test func cachedValueIsServedThroughATransientFailureForOneMoreTTL() throws {
        try moto.putParameter("/warden/test/outage", "outage-secret-v1")
        let clock = TestClock()
        let warnings = WarningLog()
        let secrets = FunctionSecrets(
            environment: environment(moto.user, ["HMAC_PARAM_NAME": "/warden/test/outage", "SECRETS_TTL_SECONDS": "60"]),
            clock: { clock.now },
            warning: { warnings.record($0) }
        )
        #expect(try secrets.hmacSecret() == Array("outage-secret-v1".utf8))

        try moto.stop()
        var restarted = false
        defer { if !restarted { try? moto.start() } }

        clock.advance(milliseconds: 60_001)
        #expect(try secrets.hmacSecret() == Array("outage-secret-v1".utf8))
        #expect(warnings.messages.count == 1)
        let warning = try #require(warnings.messages.first)
        #expect(warning.contains("/warden/test/outage"))
        #expect(!warning.contains("outage-secret-v1"))
        #expect(!warning.contains(moto.url))

        // Within the retry interval: served from the cache without another attempt.
        clock.advance(milliseconds: 5_000)
        #expect(try secrets.hmacSecret() == Array("outage-secret-v1".utf8))
        #expect(warnings.messages.count == 1)

        // Past the retry interval: another attempt, another warning, still the cached value.
        clock.advance(milliseconds: 10_000)
        #expect(try secrets.hmacSecret() == Array("outage-secret-v1".utf8))
        #expect(warnings.messages.count == 2)

        // Two TTLs after the fetch the cached value is no longer served.
        clock.now += 120_000 - 75_001
        let error = try #require(throws: SecretsError.self) { try secrets.hmacSecret() }
        #expect(error.code == .unavailable)
        expectNoSecret(in: error, ["outage-secret-v1", moto.url, moto.user.secretAccessKey])

        try moto.start()
        restarted = true
        try moto.putParameter("/warden/test/outage", "outage-secret-v2")
        #expect(try secrets.hmacSecret() == Array("outage-secret-v2".utf8))
        #expect(secrets.hmacSecretGeneration == 2)
    }

    @Test func aDeletedParameterIsNotServedFromTheCache() throws {
        // Only transient failures are bridged: a refetch that AWS answers with an error fails at once.
        try moto.putParameter("/warden/test/deleted", "postgresql://u:pw@h/db")
        let clock = TestClock()
        let warnings = WarningLog()
        let secrets = FunctionSecrets(
            environment: environment(moto.user, ["DATABASE_URL_PARAM_NAME": "/warden/test/deleted"]),
            clock: { clock.now },
            warning: { warnings.record($0) }
        )
        #expect(try secrets.databaseURL() == "postgresql://u:pw@h/db")
        try moto.deleteParameter("/warden/test/deleted")
        clock.advance(milliseconds: 300_000)
        let error = try #require(throws: SecretsError.self) { try secrets.databaseURL() }
        #expect(error.code == .notFound)
        #expect(warnings.messages.isEmpty)
        expectNoSecret(in: error, ["postgresql://u:pw@h/db", "pw"])
    }

    @Test func requestsAreBoundedByTheTimeout() throws {
        // The echo server waits 1.5 s on /sleep; the request gives up after 200 ms.
        let ssm = try SSMClient(credentials: credentials(moto.user), endpoint: moto.echoURL + "/sleep")
        let started = ContinuousClock.now
        let error = try #require(throws: SecretsError.self) {
            try ssm.getParameter(name: "/warden/test/slow", timeoutMilliseconds: 200)
        }
        #expect(ContinuousClock.now - started < .milliseconds(1_200))
        #expect(error.code == .unavailable)
        #expect(error.reason == "no answer within 200 ms")
    }

    @Test func closedPortIsUnavailable() throws {
        let secrets = FunctionSecrets(environment: environment(moto.user, [
            "HMAC_PARAM_NAME": "/warden/test/secure", "AWS_ENDPOINT_URL_SSM": "http://127.0.0.1:1",
        ]))
        let error = try #require(throws: SecretsError.self) { try secrets.hmacSecret() }
        #expect(error.code == .unavailable)
        #expect(error.description.hasPrefix("SSM parameter /warden/test/secure is unavailable (transport failure: "))
    }
}
