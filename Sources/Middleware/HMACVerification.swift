internal import WardenCrypto

/// The copilot's request signature (scheme v1): `X-Signature` = lowercase hex of
/// HMAC-SHA256(secret, "{X-Timestamp}.{X-Client}.{raw body}"), `X-Timestamp` in Unix milliseconds within ±5 minutes.
public struct HMACVerification: Sendable {
    /// Accepted clock skew, in milliseconds.
    public static let maxSkewMilliseconds: Int64 = 5 * 60 * 1000
    /// Longest accepted `X-Client` value.
    public static let maxClientLength = 128

    private let secret: [UInt8]

    public init(secret: some Collection<UInt8>) { self.secret = Array(secret) }

    /// The signature the copilot front end would send.
    public func signature(timestamp: String, client: String, body: [UInt8]) -> String {
        Crypto.hex(mac(timestamp: timestamp, client: client, body: body))
    }

    /// Verifies a request. Throws `UNAUTHORIZED` with a message that names no secret or expected value.
    /// - Returns: the authenticated client id.
    @discardableResult
    public func verify(_ request: APIGatewayRequest, nowMilliseconds: Int64) throws(EnvelopeError) -> String {
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
        guard !client.isEmpty, client.utf8.count <= Self.maxClientLength,
            client.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else { throw unauthorized("Invalid client.") }
        guard let provided = Self.decodeHex(signatureText) else { throw unauthorized("Invalid signature.") }
        let expected = mac(timestamp: timestampText, client: client, body: request.body ?? [])
        guard Crypto.constantTimeEqual(provided, expected) else { throw unauthorized("Invalid signature.") }
        return client
    }

    private func mac(timestamp: String, client: String, body: [UInt8]) -> [UInt8] {
        var message: [UInt8] = []
        message.reserveCapacity(timestamp.utf8.count + client.utf8.count + body.count + 2)
        message.append(contentsOf: timestamp.utf8)
        message.append(0x2E)
        message.append(contentsOf: client.utf8)
        message.append(0x2E)
        message.append(contentsOf: body)
        return Crypto.hmacSHA256(key: secret, message: message)
    }

    /// Decimal Unix milliseconds: 1 to 16 ASCII digits, nothing else.
    static func parseTimestamp(_ text: String) -> Int64? {
        guard (1...16).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int64(text)
    }

    /// 64 hex digits (either case) to 32 bytes.
    static func decodeHex(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 64 else { return nil }
        var out = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 {
            guard let h = nibble(utf8[2 * i]), let l = nibble(utf8[2 * i + 1]) else { return nil }
            out[i] = h << 4 | l
        }
        return out
    }

    private static func nibble(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x61...0x66: b - 0x61 + 10
        case 0x41...0x46: b - 0x41 + 10
        default: nil
        }
    }
}
