internal import Bytes
public import LambdaHTTP
internal import WardenCrypto

/// A request whose signature verified.
public struct VerifiedRequest: Sendable, Equatable {
    /// The authenticated `X-Client`.
    public let clientID: String
    /// The scheme it used.
    public let scheme: SignatureScheme
    /// What makes the request unique within the time window: its v1 signature (hex), or `<client>:<nonce>` (v2).
    public let uniqueness: String

    /// The key recorded once in `request_nonces` by `function`, so that a replay is refused:
    /// - v1: `v1:<function>:<signature>`, once **per function**. A v1 signature binds neither method nor path, and the
    ///   copilot front end signs a parallel round of calls to several tools with the same timestamp and body, so
    ///   identical signatures to different tools are legitimate (CONTRACTS.md §1); a repeat to the same tool is not.
    /// - v2: `v2:<client>:<nonce>`, once across all functions (the nonce is unique per request, and the signature
    ///   binds method and path).
    public func replayKey(function: String) -> String {
        switch scheme {
        case .v1: "v1:\(function):\(uniqueness)"
        case .v2: "v2:\(uniqueness)"
        }
    }
}

/// Request signatures, both schemes (docs/SIGNING.md), verified over the raw bytes received, in constant time,
/// within ±5 minutes:
/// - v1 (the copilot's): `X-Signature` = hex HMAC-SHA256(key, "{X-Timestamp}.{X-Client}.{raw body}").
/// - v2: `X-Signature: v2=<hex>[, v2=<hex>…]` over
///   "WARDEN-HMAC-SHA256-V2\n{METHOD}\n{path}\n{X-Timestamp}\n{X-Nonce}\n{X-Client}\n{hex SHA-256(body)}".
public struct HMACVerification: Sendable {
    /// Accepted clock skew, in milliseconds.
    public static let maxSkewMilliseconds: Int64 = 5 * 60 * 1000
    /// Longest accepted `X-Client` value.
    public static let maxClientLength = 128
    /// Most signatures accepted in one `X-Signature` list.
    public static let maxSignatures = 5
    static let v2Prefix = "WARDEN-HMAC-SHA256-V2"

    private let keyring: ClientKeyring

    public init(keyring: ClientKeyring) { self.keyring = keyring }

    /// The copilot's shared secret for every client (its original deployment).
    public init(secret: some Collection<UInt8>) { keyring = ClientKeyring(sharedSecret: Array(secret)) }

    /// The v1 signature the copilot front end sends, with the first key of `client`.
    public func signature(timestamp: String, client: String, body: [UInt8]) -> String {
        guard let key = keyring.entry(for: client)?.keys.first else { return "" }
        return Hex.encode(Self.macV1(key: key, timestamp: timestamp, client: client, body: body))
    }

    /// The v2 signature for the given request parts, with `key`.
    public static func signatureV2(
        key: [UInt8], method: String, path: String, timestamp: String, nonce: String, client: String, body: [UInt8]
    ) -> String {
        Hex.encode(Crypto.hmacSHA256(key: key, message: canonicalV2(method: method, path: path, timestamp: timestamp, nonce: nonce, client: client, body: body)))
    }

    /// Verifies a request. Throws `UNAUTHORIZED` with a message that names no secret or expected value.
    @discardableResult
    public func verify(_ request: HTTPRequest, nowMilliseconds: Int64) throws(EnvelopeError) -> VerifiedRequest {
        let unauthorized = { (message: String) in EnvelopeError(.unauthorized, message) }
        guard case .value(let signatureText) = request.header("x-signature"),
            case .value(let timestampText) = request.header("x-timestamp"),
            case .value(let client) = request.header("x-client")
        else {
            throw unauthorized("Missing or ambiguous authentication headers.")
        }
        guard let timestamp = Self.parseTimestamp(timestampText) else { throw unauthorized("Invalid timestamp.") }
        let skew = timestamp > nowMilliseconds ? timestamp - nowMilliseconds : nowMilliseconds - timestamp
        guard skew <= Self.maxSkewMilliseconds else { throw unauthorized("Request timestamp outside the allowed window.") }
        guard !client.isEmpty, client.utf8.count <= Self.maxClientLength, client.utf8.allSatisfy({ $0.isASCIIGraphic }) else {
            throw unauthorized("Invalid client.")
        }
        // An unknown client gets the same answer as a bad signature: callers cannot probe for client ids.
        let entry = keyring.entry(for: client)
        let body = request.body ?? []

        if signatureText.utf8.starts(with: "v2=".utf8) {
            guard case .value(let nonce) = request.header("x-nonce"), Self.isValidNonce(nonce) else {
                throw unauthorized("Missing or invalid nonce.")
            }
            let provided = try Self.parseV2List(signatureText)
            guard let entry, entry.schemes.contains(.v2) else { throw unauthorized("Invalid signature.") }
            let message = Self.canonicalV2(
                method: request.method, path: request.path, timestamp: timestampText, nonce: nonce, client: client, body: body
            )
            guard Self.anyMatch(provided, keys: entry.keys, { Crypto.hmacSHA256(key: $0, message: message) }) != nil else {
                throw unauthorized("Invalid signature.")
            }
            return VerifiedRequest(clientID: client, scheme: .v2, uniqueness: "\(client):\(nonce)")
        }

        guard let provided = Hex.decode(signatureText.utf8), provided.count == 32 else { throw unauthorized("Invalid signature.") }
        guard let entry, entry.schemes.contains(.v1),
            let matched = Self.anyMatch([provided], keys: entry.keys, { Self.macV1(key: $0, timestamp: timestampText, client: client, body: body) })
        else { throw unauthorized("Invalid signature.") }
        return VerifiedRequest(clientID: client, scheme: .v1, uniqueness: Hex.encode(matched))
    }

    /// The first expected MAC (over all keys) equal to one of `provided`, comparing every pair in constant time.
    private static func anyMatch(_ provided: [[UInt8]], keys: [HMACKey], _ mac: (HMACKey) -> [UInt8]) -> [UInt8]? {
        var found: [UInt8]?
        for key in keys {
            let expected = mac(key)
            for candidate in provided where Crypto.constantTimeEqual(candidate, expected) { found = expected }
        }
        return found
    }

    static func macV1(key: HMACKey, timestamp: String, client: String, body: [UInt8]) -> [UInt8] {
        var message: [UInt8] = []
        message.reserveCapacity(timestamp.utf8.count + client.utf8.count + body.count + 2)
        message.append(contentsOf: timestamp.utf8)
        message.append(0x2E)
        message.append(contentsOf: client.utf8)
        message.append(0x2E)
        message.append(contentsOf: body)
        return Crypto.hmacSHA256(key: key, message: message)
    }

    static func canonicalV2(method: String, path: String, timestamp: String, nonce: String, client: String, body: [UInt8]) -> [UInt8] {
        var message: [UInt8] = []
        for (i, part) in [v2Prefix, method.uppercased(), path, timestamp, nonce, client, Hex.encode(Crypto.sha256(body))].enumerated() {
            if i > 0 { message.append(0x0A) }
            message.append(contentsOf: part.utf8)
        }
        return message
    }

    /// `v2=<64 hex>` entries separated by commas (optional spaces); anything else refuses the request, an empty
    /// entry (`v2=…,`, `,v2=…`, `v2=…,,v2=…`) included.
    static func parseV2List(_ text: String) throws(EnvelopeError) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for raw in text.utf8.split(separator: 0x2C, omittingEmptySubsequences: false) {
            let item = raw.drop { $0 == 0x20 }
            let trimmed = item.reversed().drop { $0 == 0x20 }.reversed()
            guard trimmed.starts(with: "v2=".utf8), let mac = Hex.decode(trimmed.dropFirst(3)), mac.count == 32 else {
                throw EnvelopeError(.unauthorized, "Invalid signature.")
            }
            out.append(mac)
        }
        guard !out.isEmpty, out.count <= maxSignatures else { throw EnvelopeError(.unauthorized, "Invalid signature.") }
        return out
    }

    /// 16 to 128 characters of `[A-Za-z0-9_-]`.
    static func isValidNonce(_ nonce: String) -> Bool {
        (16...128).contains(nonce.utf8.count)
            && nonce.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D || $0 == 0x5F }
    }

    /// Decimal Unix milliseconds: 1 to 16 ASCII digits, nothing else.
    static func parseTimestamp(_ text: String) -> Int64? {
        guard (1...16).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int64(text)
    }
}
