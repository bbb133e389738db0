import Foundation
import Synchronization
import Testing

@testable import Secrets

/// `SSMClient`, `SecretsManagerClient` and `FunctionSecrets` against a real moto server with SigV4 enforced.
///
/// Each test reads and writes parameters and secrets under names of its own (`names`), and the one that stops moto
/// has a server of its own, so the tests run in any order, in parallel too. Time is a `TestClock` wherever the TTL
/// matters; the only real waits are the suite's hang guard and a request timeout proven by its cause.
@Suite(.timeLimit(.minutes(2)))
struct MotoSecretsTests {
    let moto: MotoServer
    /// This test's own namespace in moto.
    let names = MotoNames()

    init() throws {
        moto = try MotoServer.shared.get()
    }

    /// The environment of a function holding `keys`, with every AWS endpoint pointed at moto.
    func environment(_ keys: MotoServer.Keys, _ extra: [String: String] = [:]) -> @Sendable (String) -> String? {
        var env = [
            "AWS_ACCESS_KEY_ID": keys.accessKeyID,
            "AWS_SECRET_ACCESS_KEY": keys.secretAccessKey,
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": moto.url,
        ]
        if let token = keys.sessionToken { env["AWS_SESSION_TOKEN"] = token }
        env.merge(extra) { _, new in new }
        return { [env] in env[$0] }
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
        let name = names.parameter("secure")
        try moto.putParameter(name, "secure-value-1")
        let ssm = try SSMClient(credentials: credentials(moto.user), endpoint: moto.url)
        #expect(try ssm.getParameter(name: name, withDecryption: true) == "secure-value-1")
        // The same handle again: keep-alive reuse must not break signing.
        #expect(try ssm.getParameter(name: name) == "secure-value-1")
    }

    @Test func assumedRoleWithSessionTokenReadsTheDefaultHMACParameter() throws {
        // The default name is global: this test has a server of its own.
        let moto = try MotoServer.start()
        try moto.putParameter(FunctionSecrets.defaultHMACParameterName, "hmac-from-ssm")
        var env = [
            "AWS_ACCESS_KEY_ID": moto.role.accessKeyID, "AWS_SECRET_ACCESS_KEY": moto.role.secretAccessKey,
            "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": moto.url,
        ]
        env["AWS_SESSION_TOKEN"] = moto.role.sessionToken
        let secrets = FunctionSecrets(environment: { [env] in env[$0] })
        #expect(moto.role.sessionToken != nil)
        #expect(try secrets.hmacSecret() == Array("hmac-from-ssm".utf8))
        #expect(secrets.hmacSecretGeneration == 1)
    }

    @Test func hmacParameterNameIsHonoured() throws {
        let name = names.parameter("hmac-named")
        try moto.putParameter(name, "named-hmac")
        let secrets = FunctionSecrets(environment: environment(moto.user, ["HMAC_PARAM_NAME": name]))
        #expect(try secrets.hmacSecret() == Array("named-hmac".utf8))
    }

    @Test func rdsSecretFromSecretsManagerBecomesAURL() throws {
        let json = #"{"username":"app_user","password":"p@ss:w/rd?#&=+ %é","engine":"postgres","host":"db.cluster-x.us-east-1.rds.amazonaws.com","port":"5432","dbname":"copilot","dbInstanceIdentifier":"db"}"#
        let arn = try moto.putSecret(names.secret("rds"), json)
        let client = try SecretsManagerClient(credentials: credentials(moto.role), endpoint: moto.url)
        #expect(try client.getSecretValue(secretId: arn) == json)

        let secrets = FunctionSecrets(environment: environment(moto.role, ["DATABASE_SECRET_ARN": arn]))
        let url = try secrets.databaseURL()
        #expect(url == "postgresql://app_user:p%40ss%3Aw%2Frd%3F%23%26%3D%2B%20%25%C3%A9@db.cluster-x.us-east-1.rds.amazonaws.com:5432/copilot?sslmode=require")
        #expect(secrets.databaseURLGeneration == 1)
    }

    @Test func databaseURLFromAnSSMParameter() throws {
        let name = names.parameter("database-url")
        try moto.putParameter(name, "postgresql://u:pw@db.internal:5432/app?sslmode=verify-full")
        let secrets = FunctionSecrets(environment: environment(moto.user, ["DATABASE_URL_PARAM_NAME": name]))
        #expect(try secrets.databaseURL() == "postgresql://u:pw@db.internal:5432/app?sslmode=verify-full")
    }

    // MARK: Failures

    @Test func wrongSecretKeyIsAccessDenied() throws {
        let name = names.parameter("denied")
        try moto.putParameter(name, "must-not-leak-1")
        let wrongSecret = "WrongSecretKeyWrongSecretKeyWrongSecret0"
        let keys = MotoServer.Keys(accessKeyID: moto.user.accessKeyID, secretAccessKey: wrongSecret, sessionToken: nil)
        let ssm = try SSMClient(credentials: credentials(keys), endpoint: moto.url)
        let error = try #require(throws: SecretsError.self) { try ssm.getParameter(name: name) }
        #expect(error.code == .accessDenied)
        #expect(error.description.contains(name))
        #expect(error.description.contains("SignatureDoesNotMatch"))
        #expect(error.description.contains("access denied"))
        expectNoSecret(in: error, [wrongSecret, moto.user.secretAccessKey, "must-not-leak-1", moto.url])
    }

    @Test func unknownAccessKeyIsAccessDenied() throws {
        let keys = MotoServer.Keys(accessKeyID: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "unknown-secret-key", sessionToken: nil)
        let ssm = try SSMClient(credentials: credentials(keys), endpoint: moto.url)
        let error = try #require(throws: SecretsError.self) { try ssm.getParameter(name: names.parameter("secure")) }
        #expect(error.code == .accessDenied)
        #expect(error.reason.contains("InvalidClientTokenId"))
        expectNoSecret(in: error, ["unknown-secret-key"])
    }

    @Test func wrongSessionTokenIsAccessDenied() throws {
        let keys = MotoServer.Keys(
            accessKeyID: moto.role.accessKeyID, secretAccessKey: moto.role.secretAccessKey, sessionToken: "forged-token")
        let client = try SecretsManagerClient(credentials: credentials(keys), endpoint: moto.url)
        let arn = try moto.putSecret(names.secret("rds"), "must-not-leak-3")
        let error = try #require(throws: SecretsError.self) { try client.getSecretValue(secretId: arn) }
        #expect(error.code == .accessDenied)
        expectNoSecret(in: error, ["forged-token", moto.role.secretAccessKey, "must-not-leak-3"])
    }

    @Test func identityWithoutPolicyIsAccessDenied() throws {
        let name = names.parameter("policy")
        try moto.putParameter(name, "must-not-leak-2")
        let ssm = try SSMClient(credentials: credentials(moto.nobody), endpoint: moto.url)
        let error = try #require(throws: SecretsError.self) { try ssm.getParameter(name: name) }
        #expect(error.code == .accessDenied)
        #expect(error.reason.contains("AccessDenied"))
        expectNoSecret(in: error, ["must-not-leak-2", moto.nobody.secretAccessKey])
    }

    @Test func unknownParameterIsNotFound() throws {
        let name = names.parameter("absent")
        let ssm = try SSMClient(credentials: credentials(moto.user), endpoint: moto.url)
        let error = try #require(throws: SecretsError.self) { try ssm.getParameter(name: name) }
        #expect(error.code == .notFound)
        #expect(error.description == "SSM parameter \(name) was not found (ParameterNotFound, HTTP 400)")
    }

    @Test func unknownSecretIsNotFound() throws {
        let secrets = FunctionSecrets(environment: environment(moto.role, ["DATABASE_SECRET_ARN": names.secret("absent")]))
        let error = try #require(throws: SecretsError.self) { try secrets.databaseURL() }
        #expect(error.code == .notFound)
        #expect(error.reason.contains("ResourceNotFoundException"))
        #expect(secrets.databaseURLGeneration == 0)
    }

    // MARK: TTL, rotation and transient failures

    @Test func rotatedParameterIsPickedUpAfterTheTTLOnly() throws {
        let name = names.parameter("rotating")
        try moto.putParameter(name, "hmac-v1")
        let clock = TestClock()
        let secrets = FunctionSecrets(
            environment: environment(moto.user, ["HMAC_PARAM_NAME": name, "SECRETS_TTL_SECONDS": "60"]),
            clock: { clock.now }
        )
        #expect(try secrets.hmacSecret() == Array("hmac-v1".utf8))
        try moto.putParameter(name, "hmac-v2")
        clock.advance(milliseconds: 59_999)
        #expect(try secrets.hmacSecret() == Array("hmac-v1".utf8))
        #expect(secrets.hmacSecretGeneration == 1)
        clock.advance(milliseconds: 1)
        #expect(try secrets.hmacSecret() == Array("hmac-v2".utf8))
        #expect(secrets.hmacSecretGeneration == 2)
    }

    @Test func whileAnotherWorkerRefetchesTheCachedValueIsServedWithoutWaiting() throws {
        let name = names.parameter("shared")
        try moto.putParameter(name, "hmac-v1")
        let clock = TestClock()
        let secrets = FunctionSecrets(
            environment: environment(moto.user, ["HMAC_PARAM_NAME": name, "SECRETS_TTL_SECONDS": "60"]),
            clock: { clock.now }
        )
        #expect(try secrets.currentHMACSecret() == (Array("hmac-v1".utf8), 1))
        try moto.putParameter(name, "hmac-v2")
        clock.advance(milliseconds: 60_000)
        // Holding the clients' lock stands for another worker's request to AWS in progress: the expired value is
        // served at once (the lock is not reentrant: waiting for it here would never end).
        let during = secrets.clients.withLock { _ in try? secrets.currentHMACSecret() }
        #expect(during?.secret == Array("hmac-v1".utf8) && during?.generation == 1)
        // Once the fetch is over, the next access refetches.
        #expect(try secrets.currentHMACSecret() == (Array("hmac-v2".utf8), 2))
    }

    @Test func workersOnManyThreadsShareOneCacheAndAgreeOnValueAndGeneration() throws {
        let name = names.parameter("threads")
        try moto.putParameter(name, "hmac-threads")
        let secrets = FunctionSecrets(environment: environment(moto.user, ["HMAC_PARAM_NAME": name]))
        let seen = Mutex<[(String, Int)]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<50 {
                guard let (secret, generation) = try? secrets.currentHMACSecret() else { continue }
                seen.withLock { $0.append((String(decoding: secret, as: UTF8.self), generation)) }
            }
        }
        let all = seen.withLock { $0 }
        #expect(all.count == 400)
        #expect(all.allSatisfy { $0.0 == "hmac-threads" && $0.1 == 1 })
    }

    @Test func rotatedDatabaseSecretChangesTheURLAndItsGeneration() throws {
        let first = #"{"username":"app","password":"old pass","host":"db.internal","port":5432,"dbname":"copilot"}"#
        let second = #"{"username":"app","password":"new/pass","host":"db.internal","port":5432,"dbname":"copilot"}"#
        let secretName = names.secret("rotating-db")
        let arn = try moto.putSecret(secretName, first)
        let clock = TestClock()
        let secrets = FunctionSecrets(
            environment: environment(moto.role, ["DATABASE_SECRET_ARN": arn, "SECRETS_TTL_SECONDS": "300"]),
            clock: { clock.now }
        )
        #expect(try secrets.databaseURL() == "postgresql://app:old%20pass@db.internal:5432/copilot?sslmode=require")
        #expect(secrets.databaseURLGeneration == 1)
        try moto.putSecret(secretName, second)
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
        // This test stops moto: it has a server of its own.
        let moto = try MotoServer.start()
        let name = names.parameter("outage")
        try moto.putParameter(name, "outage-secret-v1")
        let clock = TestClock()
        let warnings = WarningLog()
        var env = [
            "AWS_ACCESS_KEY_ID": moto.user.accessKeyID, "AWS_SECRET_ACCESS_KEY": moto.user.secretAccessKey,
            "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": moto.url,
        ]
        env["HMAC_PARAM_NAME"] = name
        env["SECRETS_TTL_SECONDS"] = "60"
        let secrets = FunctionSecrets(environment: { [env] in env[$0] }, clock: { clock.now }, warning: { warnings.record($0) })
        #expect(try secrets.hmacSecret() == Array("outage-secret-v1".utf8))

        try moto.stop()
        clock.advance(milliseconds: 60_001)
        #expect(try secrets.hmacSecret() == Array("outage-secret-v1".utf8))
        #expect(warnings.messages.count == 1)
        let warning = try #require(warnings.messages.first)
        #expect(warning.contains(name))
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
        clock.advance(milliseconds: 120_000 - 75_001)
        let error = try #require(throws: SecretsError.self) { try secrets.hmacSecret() }
        #expect(error.code == .unavailable)
        expectNoSecret(in: error, ["outage-secret-v1", moto.url, moto.user.secretAccessKey])

        try moto.restart()
        try moto.putParameter(name, "outage-secret-v2")
        #expect(try secrets.hmacSecret() == Array("outage-secret-v2".utf8))
        #expect(secrets.hmacSecretGeneration == 2)
    }

    @Test func aDeletedParameterIsNotServedFromTheCache() throws {
        // Only transient failures are bridged: a refetch that AWS answers with an error fails at once.
        let name = names.parameter("deleted")
        try moto.putParameter(name, "postgresql://u:pw@h/db")
        let clock = TestClock()
        let warnings = WarningLog()
        let secrets = FunctionSecrets(
            environment: environment(moto.user, ["DATABASE_URL_PARAM_NAME": name]),
            clock: { clock.now },
            warning: { warnings.record($0) }
        )
        #expect(try secrets.databaseURL() == "postgresql://u:pw@h/db")
        try moto.deleteParameter(name)
        clock.advance(milliseconds: 300_000)
        let error = try #require(throws: SecretsError.self) { try secrets.databaseURL() }
        #expect(error.code == .notFound)
        #expect(warnings.messages.isEmpty)
        expectNoSecret(in: error, ["postgresql://u:pw@h/db", "pw"])
    }

    /// The echo server holds `/hold/<name>` until released: the client must give up on its own, by its timeout
    /// (libcurl's CURLE_OPERATION_TIMEDOUT, the reason below), before the server has answered.
    @Test func aRequestIsAbandonedAtItsTimeoutWhileTheServerStillHoldsIt() throws {
        let hold = UUID().uuidString
        defer { try? moto.release(hold) }
        let ssm = try SSMClient(credentials: credentials(moto.user), endpoint: moto.echoURL + "/hold/" + hold)
        let error = try #require(throws: SecretsError.self) {
            try ssm.getParameter(name: names.parameter("slow"), timeoutMilliseconds: 200)
        }
        #expect(error.code == .unavailable)
        #expect(error.reason == "no answer within 200 ms")
        // Not answered: still held (or, on a very slow machine, not even received yet).
        #expect(try moto.holdState(hold) != "released")
    }

    @Test func closedPortIsUnavailable() throws {
        let name = names.parameter("secure")
        let secrets = FunctionSecrets(environment: environment(moto.user, [
            "HMAC_PARAM_NAME": name, "AWS_ENDPOINT_URL_SSM": "http://127.0.0.1:1",
        ]))
        let error = try #require(throws: SecretsError.self) { try secrets.hmacSecret() }
        #expect(error.code == .unavailable)
        #expect(error.description.hasPrefix("SSM parameter \(name) is unavailable (transport failure: "))
    }
}

/// Parameter and secret names of one test's own, under a fresh prefix: tests sharing a moto server never see each
/// other's values.
struct MotoNames {
    let prefix = "warden/test/" + UUID().uuidString.lowercased()

    /// An SSM parameter name: `/warden/test/<uuid>/<leaf>`.
    func parameter(_ leaf: String) -> String { "/\(prefix)/\(leaf)" }

    /// A Secrets Manager secret name: `warden/test/<uuid>/<leaf>`.
    func secret(_ leaf: String) -> String { "\(prefix)/\(leaf)" }
}
