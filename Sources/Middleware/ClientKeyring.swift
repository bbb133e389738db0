public import WardenCrypto
internal import WardenJSON

/// The request-signing schemes (see docs/SIGNING.md).
public enum SignatureScheme: String, Sendable, Hashable {
    /// The copilot's original scheme: HMAC over `timestamp.client.body`.
    case v1
    /// Warden's scheme: HMAC over method, path, timestamp, nonce, client and the body's SHA-256.
    case v2
}

/// Which clients may call, with which keys and schemes. `X-Client` selects the entry; each client may have
/// several active keys at once, so keys rotate without downtime.
///
/// Configured by `WARDEN_CLIENTS`, a JSON object:
/// `{"copilot-frontend": {"keys": ["…", "…"], "schemes": ["v1", "v2"]}, "reports-job": {"keys": ["…"]}}`
/// (`schemes` defaults to `["v2"]`). Without it, the copilot's single `HMAC_SECRET` serves any client id with both
/// schemes, exactly as the original accepted any signed `X-Client`.
public struct ClientKeyring: Sendable {
    /// One client's keys (prepared once for HMAC) and the schemes it may use.
    public struct Entry: Sendable {
        public let keys: [HMACKey]
        public let schemes: Set<SignatureScheme>

        public init(keys: [[UInt8]], schemes: Set<SignatureScheme>) {
            self.keys = keys.map { HMACKey($0) }
            self.schemes = schemes
        }
    }

    private let clients: [String: Entry]
    private let anyClient: Entry?

    /// Named clients only.
    public init(clients: [String: Entry]) {
        self.clients = clients
        anyClient = nil
    }

    /// The copilot's shared secret, for any client id, both schemes.
    public init(sharedSecret: [UInt8]) {
        clients = [:]
        anyClient = Entry(keys: [sharedSecret], schemes: [.v1, .v2])
    }

    /// The entry for `client`, if it may call at all.
    public func entry(for client: String) -> Entry? { clients[client] ?? anyClient }

    /// Parses `WARDEN_CLIENTS`. Errors name the problem, never a key.
    public static func parse(_ text: String) throws(InitializationError) -> ClientKeyring {
        let invalid = InitializationError("Configuration error: WARDEN_CLIENTS is not a valid client key document")
        guard let root = try? JSON.parse(text, options: JSONParseOptions(maxDepth: 4, rejectDuplicateKeys: true)),
            let object = root.objectValue, !object.isEmpty
        else { throw invalid }
        var clients: [String: Entry] = [:]
        for (client, value) in object {
            guard !client.isEmpty, let keys = value["keys"]?.arrayValue, !keys.isEmpty else { throw invalid }
            var keyBytes: [[UInt8]] = []
            for key in keys {
                guard let k = key.stringValue, k.utf8.count >= 16 else {
                    throw InitializationError("Configuration error: WARDEN_CLIENTS keys must be strings of at least 16 bytes")
                }
                keyBytes.append(Array(k.utf8))
            }
            var schemes: Set<SignatureScheme> = [.v2]
            if let list = value["schemes"]?.arrayValue {
                schemes = []
                for item in list {
                    guard let name = item.stringValue, let scheme = SignatureScheme(rawValue: name) else { throw invalid }
                    schemes.insert(scheme)
                }
            }
            clients[client] = Entry(keys: keyBytes, schemes: schemes)
        }
        return ClientKeyring(clients: clients)
    }
}
