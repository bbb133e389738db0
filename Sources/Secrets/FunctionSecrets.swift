internal import Curl
internal import Platform
internal import Synchronization
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
/// One instance serves every worker of a process (Lambda Managed Instances run several): it is `Sendable`, checked
/// by the compiler. The caches sit behind one lock that is never held across a network request; the AWS clients
/// behind another, held by one fetch at a time. While one worker refetches a value, the others serve the value they
/// would have served a moment earlier (if there is one) instead of waiting, so no invocation waits on another's
/// request to AWS beyond its own time; without any value yet, they wait for the fetch.
public final class FunctionSecrets: Sendable {
    /// The SSM parameter read for the HMAC secret when `HMAC_PARAM_NAME` is unset.
    public static let defaultHMACParameterName = "/copilot/hmac/v1"
    /// Cache lifetime when `SECRETS_TTL_SECONDS` is unset or invalid.
    public static let defaultTTLSeconds = 300
    /// Longest `SECRETS_TTL_SECONDS`: ten years, so twice the TTL cannot overflow.
    public static let maxTTLSeconds: Int64 = 315_360_000
    /// Bound on one AWS request when the caller gives none.
    public static let defaultTimeoutMilliseconds = 2000
    /// Longest wait between two refresh attempts while a stale value is served.
    static let maxRetryIntervalMilliseconds: Int64 = 10_000

    /// How long a value fetched from AWS is served before the next access refetches it.
    public let ttlMilliseconds: Int64
    /// Where this function's warnings go (its logger, in the functions): shared with other cached remote settings
    /// such as the JWKS of `JWT_JWKS_URL`.
    public let warning: @Sendable (String) -> Void
    private let environment: @Sendable (String) -> String?
    private let clock: @Sendable () -> Int64
    /// Caches, generations, sources: short critical sections only.
    private let state: Mutex<CacheState>
    /// The AWS clients and their libcurl handle: one fetch at a time (internal for tests, which hold it to stand for
    /// a fetch in progress).
    let clients: Mutex<AWSClients>

    /// Reads `SECRETS_TTL_SECONDS` now; everything else on first use.
    ///
    /// - Parameters:
    ///   - environment: the process environment, or a stand-in for tests.
    ///   - clock: milliseconds on a monotonic scale (the TTL is measured on it).
    ///   - warning: receives the warning when a stale value is served; the message never holds a value.
    public init(
        environment: @escaping @Sendable (String) -> String? = FunctionSecrets.processEnvironment,
        clock: @escaping @Sendable () -> Int64 = FunctionSecrets.monotonicMilliseconds,
        warning: @escaping @Sendable (String) -> Void = FunctionSecrets.logWarning
    ) {
        self.environment = environment
        self.clock = clock
        self.warning = warning
        let seconds = nonEmpty(environment("SECRETS_TTL_SECONDS")).flatMap { Int64($0) }.flatMap { $0 >= 0 ? $0 : nil }
        ttlMilliseconds = min(seconds ?? Int64(Self.defaultTTLSeconds), Self.maxTTLSeconds) * 1000
        state = Mutex(CacheState())
        clients = Mutex(AWSClients())
    }

    /// Bound on each AWS request when an accessor is called without `timeoutMilliseconds`.
    public var requestTimeoutMilliseconds: Int {
        get { state.withLock { $0.requestTimeoutMilliseconds } }
        set { state.withLock { $0.requestTimeoutMilliseconds = newValue } }
    }

    /// Increases whenever the value `databaseURL()` returns changes (0 before the first successful access): a caller
    /// that sees it change must reconnect. With several workers, read it together with the value:
    /// ``currentDatabaseURL(timeoutMilliseconds:)``.
    public var databaseURLGeneration: Int { state.withLock { $0.databaseGeneration } }
    /// Increases whenever the value `hmacSecret()` returns changes (0 before the first successful access). With
    /// several workers, read it together with the value: ``currentHMACSecret(timeoutMilliseconds:)``.
    public var hmacSecretGeneration: Int { state.withLock { $0.hmacGeneration } }

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
        try currentHMACSecret(timeoutMilliseconds: timeoutMilliseconds).secret
    }

    /// The HMAC secret and the generation it belongs to, read together (another worker may change the generation
    /// between two separate reads).
    public func currentHMACSecret(timeoutMilliseconds: Int? = nil) throws(SecretsError) -> (secret: [UInt8], generation: Int) {
        let source = try self.source(.hmac)
        let value: String
        if case .environment(_, let v) = source {
            value = v
        } else {
            value = try current(.hmac, source, timeout: timeoutMilliseconds) { raw, subject throws(SecretsError) in
                guard !raw.isEmpty else { throw SecretsError(.malformed, subject: subject, reason: "the value is empty") }
                return raw
            }
        }
        let generation = state.withLock { s -> Int in
            if value != s.lastHMAC { s.hmacGeneration += 1 }
            s.lastHMAC = value
            return s.hmacGeneration
        }
        return (Array(value.utf8), generation)
    }

    /// The PostgreSQL connection URL. When `databaseURLGeneration` has changed since the caller's last connection,
    /// the caller must reconnect with the new URL.
    ///
    /// - Parameter timeoutMilliseconds: bound on the AWS request, if one is needed; `nil` uses
    ///   `requestTimeoutMilliseconds`.
    public func databaseURL(timeoutMilliseconds: Int? = nil) throws(SecretsError) -> String {
        try currentDatabaseURL(timeoutMilliseconds: timeoutMilliseconds).url
    }

    /// The database URL and the generation it belongs to, read together.
    public func currentDatabaseURL(timeoutMilliseconds: Int? = nil) throws(SecretsError) -> (url: String, generation: Int) {
        let source = try self.source(.database)
        let value: String
        if case .environment(_, let v) = source {
            value = v
        } else {
            value = try current(.database, source, timeout: timeoutMilliseconds) { raw, subject throws(SecretsError) in
                try DatabaseSecret.databaseURL(fromStoredValue: raw, subject: subject)
            }
        }
        let generation = state.withLock { s -> Int in
            if value != s.lastDatabaseURL { s.databaseGeneration += 1 }
            s.lastDatabaseURL = value
            return s.databaseGeneration
        }
        return (value, generation)
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
        return try current(.named(secretId), .secretsManager(secretId: secretId), timeout: timeoutMilliseconds) {
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
    }

    /// Makes the next `databaseURL()` refetch even within the TTL — `Database` calls it (through
    /// `DatabaseCredentials`) when the server refuses the login made with the cached URL (a password rotated before
    /// the TTL ran out). The cached value still serves during a transient failure.
    public func invalidateDatabaseURL() { state.withLock { $0.caches[.database]?.refreshRequested = true } }

    /// Makes the next `hmacSecret()` refetch even within the TTL.
    public func invalidateHMACSecret() { state.withLock { $0.caches[.hmac]?.refreshRequested = true } }

    /// Checks, without any network access, that both secrets have a source (for an early `/init/error`).
    public func validateConfiguration() throws(SecretsError) {
        _ = try source(.hmac)
        _ = try source(.database)
    }

    // MARK: Sources

    /// Whether the database URL comes from AWS (SSM or Secrets Manager) and so may rotate; `false` for
    /// `DATABASE_URL`. Reads no secret.
    public func databaseURLRotates() throws(SecretsError) -> Bool {
        if case .environment = try source(.database) { return false }
        return true
    }

    /// Where a secret comes from, decided on first use (the environment does not change).
    private func source(_ key: CacheKey) throws(SecretsError) -> SecretSource {
        if let known = state.withLock({ $0.sources[key] }) { return known }
        let found = key == .hmac ? try findHMACSource() : try findDatabaseSource()
        state.withLock { $0.sources[key] = found }
        return found
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
        if let known = state.withLock({ $0.credentials }) { return known }
        let found = try AWSCredentials.fromEnvironment(environment)
        state.withLock { $0.credentials = found }
        return found
    }

    // MARK: Fetching and caching

    /// The value to serve for `key`: the cached one while fresh, else a refetched one, else — after a transient
    /// failure within one more TTL — the cached one again. While another worker refetches it, the cached value is
    /// served (when there is one) rather than waiting.
    private func current(
        _ key: CacheKey, _ source: SecretSource, timeout: Int?,
        convert: @Sendable (String, String) throws(SecretsError) -> String
    ) throws(SecretsError) -> String {
        if case .serve(let value) = decide(key, now: clock()) { return value }
        let answer = try clients.withLockIfAvailable { clients throws(SecretsError) -> String in
            try refresh(key, source, timeout: timeout, clients: &clients, convert: convert)
        }
        if let answer { return answer }
        // Another worker is fetching: serve what there is, else wait for it (then fetch only if it failed).
        if let cached = state.withLock({ $0.caches[key] }), clock() < cached.fetchedAt &+ ttlMilliseconds &+ ttlMilliseconds {
            return cached.value
        }
        return try clients.withLock { clients throws(SecretsError) -> String in
            try refresh(key, source, timeout: timeout, clients: &clients, convert: convert)
        }
    }

    private enum Decision {
        case serve(String)
        case fetch
    }

    private func decide(_ key: CacheKey, now: Int64) -> Decision {
        let ttl = ttlMilliseconds
        return state.withLock { s -> Decision in
            guard let entry = s.caches[key] else { return .fetch }
            if !entry.refreshRequested, now - entry.fetchedAt < ttl { return .serve(entry.value) }
            if let retryAfter = entry.retryAfter, now < retryAfter, now < entry.fetchedAt &+ ttl &+ ttl { return .serve(entry.value) }
            return .fetch
        }
    }

    /// Under the clients' lock: decides again (another worker may just have refreshed), fetches, records.
    private func refresh(
        _ key: CacheKey, _ source: SecretSource, timeout: Int?, clients: inout AWSClients,
        convert: @Sendable (String, String) throws(SecretsError) -> String
    ) throws(SecretsError) -> String {
        let now = clock()
        if case .serve(let value) = decide(key, now: now) { return value }
        let ttl = ttlMilliseconds
        let cached = state.withLock { $0.caches[key] }
        let graceEnd = cached.map { $0.fetchedAt &+ ttl &+ ttl } ?? now
        do {
            let raw = try fetch(source, timeoutMilliseconds: timeout ?? requestTimeoutMilliseconds, clients: &clients)
            let fresh = CachedSecret(value: try convert(raw, source.subject), fetchedAt: now)
            state.withLock { $0.caches[key] = fresh }
            return fresh.value
        } catch {
            guard error.code == .unavailable, var entry = cached, now < graceEnd else { throw error }
            entry.retryAfter = min(now &+ min(ttl, Self.maxRetryIntervalMilliseconds), graceEnd)
            let kept = entry
            state.withLock { $0.caches[key] = kept }
            let age = (now - entry.fetchedAt) / 1000
            warning(
                "secrets: refreshing \(source.subject) failed (\(error.reason)); serving the value fetched \(age) s ago for up to \((graceEnd - now + 999) / 1000) s more"
            )
            return entry.value
        }
    }

    private func fetch(_ source: SecretSource, timeoutMilliseconds: Int, clients: inout AWSClients) throws(SecretsError) -> String {
        switch source {
        case .environment(_, let value):
            return value
        case .ssmParameter(let name):
            return try ssmClient(&clients).getParameter(name: name, withDecryption: true, timeoutMilliseconds: timeoutMilliseconds)
        case .secretsManager(let secretId):
            return try secretsManagerClient(&clients).getSecretValue(secretId: secretId, timeoutMilliseconds: timeoutMilliseconds)
        }
    }

    private func ssmClient(_ clients: inout AWSClients) throws(SecretsError) -> SSMClient {
        if let ssm = clients.ssm { return ssm }
        let credentials = try requiredCredentials()
        let url = try SSMClient.endpoint(region: credentials.region, environment: environment)
        let client = SSMClient(credentials: credentials, url: url, curl: try clients.curl())
        clients.ssm = client
        return client
    }

    private func secretsManagerClient(_ clients: inout AWSClients) throws(SecretsError) -> SecretsManagerClient {
        if let secretsManager = clients.secretsManager { return secretsManager }
        let credentials = try requiredCredentials()
        let url = try SecretsManagerClient.endpoint(region: credentials.region, environment: environment)
        let client = SecretsManagerClient(credentials: credentials, url: url, curl: try clients.curl())
        clients.secretsManager = client
        return client
    }

    private func requiredCredentials() throws(SecretsError) -> AWSCredentials {
        guard let credentials = try awsCredentials() else {
            throw SecretsError(.notConfigured, subject: "AWS credentials", reason: "AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is missing")
        }
        return credentials
    }
}

/// Which cached value.
private enum CacheKey: Hashable {
    case hmac
    case database
    /// An optional secret, by its Secrets Manager id.
    case named(String)
}

/// What `FunctionSecrets` keeps under its state lock.
private struct CacheState {
    var caches: [CacheKey: CachedSecret] = [:]
    var sources: [CacheKey: SecretSource] = [:]
    var credentials: AWSCredentials?
    var requestTimeoutMilliseconds = FunctionSecrets.defaultTimeoutMilliseconds
    var lastHMAC: String?
    var lastDatabaseURL: String?
    var hmacGeneration = 0
    var databaseGeneration = 0
}

/// The AWS clients, made on first use, on one libcurl handle (libcurl keeps a connection per host).
struct AWSClients {
    var handle: CurlEasy?
    var ssm: SSMClient?
    var secretsManager: SecretsManagerClient?

    mutating func curl() throws(SecretsError) -> CurlEasy {
        if let handle { return handle }
        do {
            let made = try CurlEasy()
            handle = made
            return made
        } catch {
            throw SecretsError(.unavailable, subject: "AWS client", reason: "libcurl handle: \(error.detail)")
        }
    }
}
