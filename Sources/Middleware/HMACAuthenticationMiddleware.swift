public import LambdaHTTP
internal import Platform
internal import Postgres
public import Secrets

/// HMAC request signing (docs/SIGNING.md), checked first among the credentials: `X-Signature` over the
/// timestamp, client and body (v1) or the canonical request (v2), with the function's shared secret
/// (`HMAC_SECRET`, or its SSM / Secrets Manager forms, followed through rotations) or the named clients' keys of
/// `WARDEN_CLIENTS`. Sets `RequestContext.client`.
public final class HMACAuthenticationMiddleware: RequestMiddleware {
    let secrets: FunctionSecrets
    private var verifier: HMACVerification
    private var generation: Int
    /// Whether `WARDEN_CLIENTS` names the clients and keys (then the HMAC secret is not the key source).
    private let namedClients: Bool

    /// Reads the keys now (from the environment, or SSM / Secrets Manager), so a function that cannot authenticate
    /// fails at init with a clear message.
    public init(secrets: FunctionSecrets) throws(InitializationError) {
        self.secrets = secrets
        var generation = 0
        do {
            if let clients = Platform.environment("WARDEN_CLIENTS"), !clients.isEmpty {
                verifier = HMACVerification(keyring: try ClientKeyring.parse(clients))
                namedClients = true
            } else {
                try secrets.validateConfiguration()
                let current = try secrets.currentHMACSecret()
                verifier = HMACVerification(secret: current.secret)
                generation = current.generation
                namedClients = false
            }
        } catch let error as InitializationError {
            throw error
        } catch let error as SecretsError {
            throw InitializationError("Configuration error: \(error.description)")
        } catch {
            throw InitializationError("Configuration error: the HMAC settings are not valid")
        }
        self.generation = generation
    }

    public func handle(_ request: HTTPRequest, context: inout RequestContext, next: MiddlewareNext) throws -> HTTPResponse {
        try refresh(context)
        context.client = try verifier.verify(request, nowMilliseconds: Platform.nowMilliseconds())
        return try next(request, &context)
    }

    /// Picks up a rotated HMAC secret (a cached value past its TTL is refetched, within the invocation's time).
    private func refresh(_ context: RequestContext) throws {
        guard !namedClients else { return }
        let budget = Int(max(1, min(Int64(FunctionSecrets.defaultTimeoutMilliseconds), context.deadline.remainingMilliseconds - Database.deadlineReserveMilliseconds)))
        // The value and its generation in one read: another worker may refresh the shared cache in between.
        let current = try secrets.currentHMACSecret(timeoutMilliseconds: budget)
        if current.generation != generation {
            verifier = HMACVerification(secret: current.secret)
            generation = current.generation
        }
    }
}
