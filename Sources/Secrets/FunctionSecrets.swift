internal import Curl
internal import Platform
internal import WardenJSON

/// The secrets a tool function needs — the HMAC secret and the database URL — from the environment, SSM Parameter
/// Store or Secrets Manager, cached with a TTL.
///
/// - HMAC secret: `HMAC_SECRET`, else the SSM `SecureString` named by `HMAC_PARAM_NAME` (default `/copilot/hmac/v1`,
///   used only when AWS credentials are present).
/// - Database URL: `DATABASE_URL`, else the SSM parameter named by `DATABASE_URL_PARAM_NAME` (decrypted; a URL or an
///   RDS JSON secret), else the Secrets Manager secret `DATABASE_SECRET_ARN` (RDS rotation JSON, see
///   `DatabaseSecret`).
///
/// Values from AWS are kept for `SECRETS_TTL_SECONDS` (default 300); the first access after that refetches, so a
/// rotated secret is picked up without a restart. When a refetch fails transiently (`.unavailable`), the cached
/// value keeps being served for up to one more TTL, with a warning (never the value) and at most one new attempt
/// every `min(TTL, 10 s)`. Nothing touches the network before the first access.
///
/// Every function's `Database` reads the URL through `databaseURL(timeoutMilliseconds:)` before each connection is
/// used (a TTL check while the value is fresh) and calls `invalidateDatabaseURL()` when Postgres refuses the login
/// made with it, so a password rotated before the TTL ran out is refetched at once (Middleware's
/// `InitializationError.database(from:)`).
///
/// Not thread-safe: it belongs to the single-threaded invocation loop.
public final class FunctionSecrets {
    /// The SSM parameter read for the HMAC secret when `HMAC_PARAM_NAME` is unset.
    public static let defaultHMACParameterName = "/copilot/hmac/v1"
    /// Cache lifetime when `SECRETS_TTL_SECONDS` is unset or invalid.
    public static let defaultTTLSeconds = 300
    /// Bound on one AWS request when the caller gives none.
    public static let defaultTimeoutMilliseconds = 2000
    /// Longest wait between two refresh attempts while a stale value is served.
    static let maxRetryIntervalMilliseconds: Int64 = 10_000

    /// How long a value fetched from AWS is served before the next access refetches it.
    public let ttlMilliseconds: Int64
    /// Bound on each AWS request when an accessor is called without `timeoutMilliseconds`.
    public var requestTimeoutMilliseconds: Int
    /// Increases whenever the value `databaseURL()` returns changes (0 before the first successful access): a caller
    /// that sees it change must reconnect.
    public private(set) var databaseURLGeneration = 0
    /// Increases whenever the value `hmacSecret()` returns changes (0 before the first successful access).
    public private(set) var hmacSecretGeneration = 0

    private let environment: (String) -> String?
    private let clock: () -> Int64
    /// Where this function's warnings go (its logger, in the functions): shared with other cached remote settings
    /// such as the JWKS of `JWT_JWKS_URL`.
    public let warning: (String) -> Void

    private var hmacCache: CachedSecret?
    private var databaseCache: CachedSecret?
    private var namedCaches: [String: CachedSecret] = [:]
    private var credentials: AWSCredentials?
    private var curl: CurlEasy?
    private var ssm: SSMClient?
    private var secretsManager: SecretsManagerClient?

    /// Reads `SECRETS_TTL_SECONDS` now; everything else on first use.
    ///
    /// - Parameters:
    ///   - environment: the process environment, or a stand-in for tests.
    ///   - clock: milliseconds on a monotonic scale (the TTL is measured on it).
    ///   - warning: receives the warning when a stale value is served; the message never holds a value.
    public init(
        environment: @escaping (String) -> String? = FunctionSecrets.processEnvironment,
        clock: @escaping () -> Int64 = FunctionSecrets.monotonicMilliseconds,
        warning: @escaping (String) -> Void = FunctionSecrets.logWarning
    ) {
        self.environment = environment
        self.clock = clock
        self.warning = warning
        let seconds = nonEmpty(environment("SECRETS_TTL_SECONDS")).flatMap { Int64($0) }.flatMap { $0 >= 0 ? $0 : nil }
        // At most ten years, so twice the TTL cannot overflow.
        ttlMilliseconds = min(seconds ?? Int64(Self.defaultTTLSeconds), 315_360_000) * 1000
        requestTimeoutMilliseconds = Self.defaultTimeoutMilliseconds
    }

    // MARK: Defaults

    /// The process environment (`getenv`).
    public static func processEnvironment(_ name: String) -> String? { Platform.environment(name) }

    /// The monotonic clock in milliseconds.
    public static func monotonicMilliseconds() -> Int64 { Int64(Platform.monotonicNanoseconds() / 1_000_000) }

    /// Writes `{"level":"WARN","message":…}` as one line to standard error.
    public static func logWarning(_ message: String) {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("level")
        writer.string("WARN")
        writer.key("message")
        writer.string(message)
        writer.endObject()
        Platform.writeStandardError(writer.bytes + [0x0A])
    }

    // MARK: Secrets

    /// The HMAC secret of signature scheme v1, as bytes.
    ///
    /// - Parameter timeoutMilliseconds: bound on the AWS request, if one is needed (derive it from the invocation's
    ///   remaining time); `nil` uses `requestTimeoutMilliseconds`.
    public func hmacSecret(timeoutMilliseconds: Int? = nil) throws(SecretsError) -> [UInt8] {
        let source = try hmacSource()
        let value: String
        if case .environment(_, let v) = source {
            value = v
        } else {
            let entry = try current(source, cached: hmacCache, timeout: timeoutMilliseconds) { raw, subject throws(SecretsError) in
                guard !raw.isEmpty else { throw SecretsError(.malformed, subject: subject, reason: "the value is empty") }
                return raw
            }
            hmacCache = entry
            value = entry.value
        }
        if value != lastHMAC { hmacSecretGeneration += 1 }
        lastHMAC = value
        return Array(value.utf8)
    }

    /// The PostgreSQL connection URL. When `databaseURLGeneration` has changed since the caller's last connection,
    /// the caller must reconnect with the new URL.
    ///
    /// - Parameter timeoutMilliseconds: bound on the AWS request, if one is needed; `nil` uses
    ///   `requestTimeoutMilliseconds`.
    public func databaseURL(timeoutMilliseconds: Int? = nil) throws(SecretsError) -> String {
        let source = try databaseSource()
        let value: String
        if case .environment(_, let v) = source {
            value = v
        } else {
            let entry = try current(source, cached: databaseCache, timeout: timeoutMilliseconds) { raw, subject throws(SecretsError) in
                try DatabaseSecret.databaseURL(fromStoredValue: raw, subject: subject)
            }
            databaseCache = entry
            value = entry.value
        }
        if value != lastDatabaseURL { databaseURLGeneration += 1 }
        lastDatabaseURL = value
        return value
    }

    /// An optional third-party credential (e.g. an enrichment provider's API key): the environment variable
    /// `variable`, else the Secrets Manager secret named by the variable `secretIdVariable` — its `SecretString`, or
    /// the string member `jsonKey` when that is a JSON object. `nil` when neither variable is set. Cached with the
    /// same TTL and stale-while-unavailable rules as the other secrets.
    public func optionalSecret(
        variable: String, secretIdVariable: String, jsonKey: String, timeoutMilliseconds: Int? = nil
    ) throws(SecretsError) -> String? {
        if let value = nonEmpty(environment(variable)) { return value }
        guard let secretId = nonEmpty(environment(secretIdVariable)) else { return nil }
        guard try awsCredentials() != nil else {
            throw SecretsError(.notConfigured, subject: secretIdVariable, reason: "AWS credentials are missing")
        }
        let entry = try current(.secretsManager(secretId: secretId), cached: namedCaches[secretId], timeout: timeoutMilliseconds) {
            raw, subject throws(SecretsError) in
            if raw.utf8.first == UInt8(ascii: "{") {
                guard let object = (try? JSON.parse(Array(raw.utf8)))?.objectValue, case .string(let member)? = object[jsonKey],
                    !member.isEmpty
                else { throw SecretsError(.malformed, subject: subject, reason: "the JSON secret has no string member \(jsonKey)") }
                return member
            }
            guard !raw.isEmpty else { throw SecretsError(.malformed, subject: subject, reason: "the value is empty") }
            return raw
        }
        namedCaches[secretId] = entry
        return entry.value
    }

    /// Makes the next `databaseURL()` refetch even within the TTL — `Database` calls it (through
    /// `DatabaseCredentials`) when the server refuses the login made with the cached URL (a password rotated before
    /// the TTL ran out). The cached value still serves during a transient failure.
    public func invalidateDatabaseURL() { databaseCache?.refreshRequested = true }

    /// Makes the next `hmacSecret()` refetch even within the TTL.
    public func invalidateHMACSecret() { hmacCache?.refreshRequested = true }

    /// Checks, without any network access, that both secrets have a source (for an early `/init/error`).
    public func validateConfiguration() throws(SecretsError) {
        _ = try hmacSource()
        _ = try databaseSource()
    }

    private var lastHMAC: String?
    private var lastDatabaseURL: String?

    // MARK: Sources

    /// Whether the database URL comes from AWS (SSM or Secrets Manager) and so may rotate; `false` for
    /// `DATABASE_URL`. Reads no secret.
    public func databaseURLRotates() throws(SecretsError) -> Bool {
        if case .environment = try databaseSource() { return false }
        return true
    }

    /// Where each secret comes from, decided on first use (the environment does not change).
    private var hmacSourceCache: SecretSource?
    private var databaseSourceCache: SecretSource?

    private func hmacSource() throws(SecretsError) -> SecretSource {
        if let hmacSourceCache { return hmacSourceCache }
        let source = try findHMACSource()
        hmacSourceCache = source
        return source
    }

    private func databaseSource() throws(SecretsError) -> SecretSource {
        if let databaseSourceCache { return databaseSourceCache }
        let source = try findDatabaseSource()
        databaseSourceCache = source
        return source
    }

    private func findHMACSource() throws(SecretsError) -> SecretSource {
        if let secret = nonEmpty(environment("HMAC_SECRET")) { return .environment(variable: "HMAC_SECRET", value: secret) }
        let credentials = try awsCredentials()
        if let name = nonEmpty(environment("HMAC_PARAM_NAME")) {
            guard credentials != nil else {
                throw SecretsError(.notConfigured, subject: "HMAC_PARAM_NAME", reason: "AWS credentials are missing")
            }
            return .ssmParameter(name: name)
        }
        guard credentials != nil else {
            throw SecretsError(
                .notConfigured, subject: "HMAC_SECRET",
                reason: "set HMAC_SECRET, or provide AWS credentials to read SSM parameter \(Self.defaultHMACParameterName)"
            )
        }
        return .ssmParameter(name: Self.defaultHMACParameterName)
    }

    private func findDatabaseSource() throws(SecretsError) -> SecretSource {
        if let url = nonEmpty(environment("DATABASE_URL")) { return .environment(variable: "DATABASE_URL", value: url) }
        let source: SecretSource
        let setting: String
        if let name = nonEmpty(environment("DATABASE_URL_PARAM_NAME")) {
            (source, setting) = (.ssmParameter(name: name), "DATABASE_URL_PARAM_NAME")
        } else if let secretId = nonEmpty(environment("DATABASE_SECRET_ARN")) {
            (source, setting) = (.secretsManager(secretId: secretId), "DATABASE_SECRET_ARN")
        } else {
            throw SecretsError(
                .notConfigured, subject: "DATABASE_URL", reason: "set DATABASE_URL, DATABASE_URL_PARAM_NAME or DATABASE_SECRET_ARN"
            )
        }
        guard try awsCredentials() != nil else {
            throw SecretsError(.notConfigured, subject: setting, reason: "AWS credentials are missing")
        }
        return source
    }

    private func awsCredentials() throws(SecretsError) -> AWSCredentials? {
        if let credentials { return credentials }
        credentials = try AWSCredentials.fromEnvironment(environment)
        return credentials
    }

    // MARK: Fetching and caching

    /// The cache entry to serve for `source`: `cached` while fresh, else a refetched one, else — after a transient
    /// failure within one more TTL — `cached` again.
    private func current(
        _ source: SecretSource, cached: CachedSecret?, timeout: Int?,
        convert: (String, String) throws(SecretsError) -> String
    ) throws(SecretsError) -> CachedSecret {
        let now = clock()
        let ttl = ttlMilliseconds
        let graceEnd = cached.map { $0.fetchedAt &+ ttl &+ ttl } ?? now
        if let entry = cached {
            if !entry.refreshRequested, now - entry.fetchedAt < ttl { return entry }
            if let retryAfter = entry.retryAfter, now < retryAfter, now < graceEnd { return entry }
        }
        do {
            let raw = try fetch(source, timeoutMilliseconds: timeout ?? requestTimeoutMilliseconds)
            return CachedSecret(value: try convert(raw, source.subject), fetchedAt: now)
        } catch {
            guard error.code == .unavailable, var entry = cached, now < graceEnd else { throw error }
            entry.retryAfter = min(now &+ min(ttl, Self.maxRetryIntervalMilliseconds), graceEnd)
            let age = (now - entry.fetchedAt) / 1000
            warning(
                "secrets: refreshing \(source.subject) failed (\(error.reason)); serving the value fetched \(age) s ago for up to \((graceEnd - now + 999) / 1000) s more"
            )
            return entry
        }
    }

    private func fetch(_ source: SecretSource, timeoutMilliseconds: Int) throws(SecretsError) -> String {
        switch source {
        case .environment(_, let value):
            return value
        case .ssmParameter(let name):
            return try ssmClient().getParameter(name: name, withDecryption: true, timeoutMilliseconds: timeoutMilliseconds)
        case .secretsManager(let secretId):
            return try secretsManagerClient().getSecretValue(secretId: secretId, timeoutMilliseconds: timeoutMilliseconds)
        }
    }

    private func ssmClient() throws(SecretsError) -> SSMClient {
        if let ssm { return ssm }
        let credentials = try requiredCredentials()
        let url = try SSMClient.endpoint(region: credentials.region, environment: environment)
        let client = SSMClient(credentials: credentials, url: url, curl: try sharedCurl())
        ssm = client
        return client
    }

    private func secretsManagerClient() throws(SecretsError) -> SecretsManagerClient {
        if let secretsManager { return secretsManager }
        let credentials = try requiredCredentials()
        let url = try SecretsManagerClient.endpoint(region: credentials.region, environment: environment)
        let client = SecretsManagerClient(credentials: credentials, url: url, curl: try sharedCurl())
        secretsManager = client
        return client
    }

    private func requiredCredentials() throws(SecretsError) -> AWSCredentials {
        guard let credentials = try awsCredentials() else {
            throw SecretsError(.notConfigured, subject: "AWS credentials", reason: "AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is missing")
        }
        return credentials
    }

    /// One handle for both services (libcurl keeps a connection per host).
    private func sharedCurl() throws(SecretsError) -> CurlEasy {
        if let curl { return curl }
        do {
            let handle = try CurlEasy()
            curl = handle
            return handle
        } catch {
            throw SecretsError(.unavailable, subject: "AWS client", reason: "libcurl handle: \(error.detail)")
        }
    }
}
