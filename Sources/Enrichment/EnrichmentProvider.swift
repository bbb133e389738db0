internal import Bytes
public import Curl
internal import WardenJSON

/// What the provider said about one person.
public enum ProviderOutcome: Sendable, Equatable {
    /// A match: an optional display name and the provider's confidence (0…1).
    case enriched(displayName: String?, confidence: Double)
    /// The provider knows nobody with this address.
    case unknown
    /// No usable answer (timeout, refused connection, 5xx, 429, or a body that fails validation): retried later.
    case failed(reason: String)

    /// The outcome as recorded in the enrichment history (never personal data).
    public var recorded: String {
        switch self {
        case .enriched: "enriched"
        case .unknown: "unknown"
        case .failed(let reason): "failed: \(reason)"
        }
    }
}

/// The HTTP enrichment provider: `POST {base}/v1/person/enrich` with `{"email": …}` and the key as a bearer token.
/// Answers: 200 `{"found": true, "displayName"?: string, "confidence": 0…1}` or `{"found": false}`; 404 means
/// unknown; anything else is a failed attempt. The body is validated before anything reaches the database.
public struct EnrichmentProvider {
    /// Largest response body accepted.
    public static let maxResponseBytes = 64 * 1024
    /// Longest display name accepted, in bytes.
    public static let maxDisplayNameBytes = 200

    let baseURL: String
    let curl: CurlEasy

    public init(baseURL: String, curl: CurlEasy) {
        self.baseURL = baseURL
        self.curl = curl
    }

    /// Asks about `email`, waiting at most `timeoutMilliseconds`.
    public func lookup(email: String, apiKey: String, timeoutMilliseconds: Int) -> ProviderOutcome {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("email")
        writer.string(email)
        writer.endObject()
        let response: HTTPResponse
        do {
            response = try curl.perform(
                method: "POST", url: baseURL + "/v1/person/enrich",
                headers: [
                    HTTPHeader("Authorization", "Bearer " + apiKey), HTTPHeader("Content-Type", "application/json"),
                    HTTPHeader("Accept", "application/json"),
                ],
                body: writer.bytes, timeoutMilliseconds: max(1, timeoutMilliseconds), maxResponseBytes: Self.maxResponseBytes
            )
        } catch {
            switch error.code {
            case .responseTooLarge: return .failed(reason: "oversized answer")
            case .setup, .transfer, .interrupted: return .failed(reason: error.curlCode == 28 ? "timeout" : "unreachable")
            }
        }
        switch response.status {
        case 200: return Self.parse(response.body)
        case 404: return .unknown
        case 429: return .failed(reason: "provider rate limit")
        default: return .failed(reason: "status \(response.status)")
        }
    }

    /// Validates a 200 body.
    static func parse(_ body: [UInt8]) -> ProviderOutcome {
        let invalid = ProviderOutcome.failed(reason: "invalid answer")
        guard let object = (try? JSON.parse(body, options: JSONParseOptions(maxDepth: 8, rejectDuplicateKeys: true)))?.objectValue,
            case .bool(let found)? = object["found"]
        else { return invalid }
        guard found else { return .unknown }
        guard let confidence = object["confidence"]?.doubleValue, confidence.isFinite, confidence >= 0, confidence <= 1 else {
            return invalid
        }
        var name: String?
        switch object["displayName"] {
        case nil, .null?:
            name = nil
        case .string(let text)?:
            let bytes = text.utf8
            guard !bytes.isEmpty, bytes.count <= maxDisplayNameBytes, !bytes.contains(where: { $0.isASCIIControl }),
                !bytes.contains(UInt8(ascii: "<")), !bytes.contains(UInt8(ascii: ">"))
            else { return invalid }
            name = text
        default:
            return invalid
        }
        return .enriched(displayName: name, confidence: confidence)
    }
}
