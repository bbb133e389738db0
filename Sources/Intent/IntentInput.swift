internal import Bytes
public import Middleware
public import WardenJSON

/// The body of `POST /v1/intent/score`, validated. B2B only: a body carrying personal data is refused, and so is any
/// member not listed in `fields`. Messages name the field at fault, never the value received. The function
/// (functions/intent) and the fuzz target fuzz/validation both run this very code.
public struct ScoreRequest: Sendable {
    /// Longest query, in bytes.
    static let maxQueryBytes = 500
    /// Longest filter value, in bytes.
    static let maxFilterBytes = 200
    /// Default and largest number of results.
    static let defaultLimit = 10
    static let maxLimit = 50

    /// The members a body may have.
    public static let fields: Set<String> = ["query", "industry", "size", "region", "limit"]

    /// The optional fit filters.
    public struct Filters: Sendable {
        /// The industry a company should have (compared ignoring case), if any.
        public let industry: String?
        /// The size band a company should have (compared ignoring case), if any.
        public let size: String?
        /// The region a company should be in (compared ignoring case), if any.
        public let region: String?
    }

    /// The search text: 1–500 bytes, no control characters, not only spaces.
    public let query: String
    /// The fit filters given.
    public let filters: Filters
    /// How many results to answer: 1–50, 10 when absent.
    public let limit: Int

    /// Validates a body; `INVALID_INPUT` on the first fault.
    public init(_ body: JSONObject) throws(EnvelopeError) {
        for key in body.keys where PersonalData.isPersonalFieldName(key) {
            throw EnvelopeError(.invalidInput, "Personal data is not accepted: B2B fields only.")
        }
        guard body.keys.allSatisfy(Self.fields.contains) else {
            throw EnvelopeError(.invalidInput, "The request body has an unknown field.")
        }
        for member in body where PersonalData.containsConsumerEmail(member.value.stringValue ?? "") {
            throw EnvelopeError(.invalidInput, "Personal data is not accepted: \(member.key) holds a consumer e-mail address.")
        }
        guard case .string(let text)? = body["query"] else {
            throw EnvelopeError(.invalidInput, "query is required and must be a string.")
        }
        guard !text.utf8.isEmpty, text.utf8.count <= Self.maxQueryBytes else {
            throw EnvelopeError(.invalidInput, "query must be 1 to 500 bytes.")
        }
        guard !text.utf8.contains(where: { $0.isASCIIControl }) else {
            throw EnvelopeError(.invalidInput, "query must not contain control characters.")
        }
        guard !text.utf8.allSatisfy({ $0 == 0x20 }) else { throw EnvelopeError(.invalidInput, "query must not be blank.") }
        query = text
        filters = Filters(
            industry: try Self.filter(body["industry"], "industry"),
            size: try Self.filter(body["size"], "size"),
            region: try Self.filter(body["region"], "region")
        )
        switch body["limit"] {
        case nil, .null?: limit = Self.defaultLimit
        case .int(let value)? where value >= 1 && value <= Int64(Self.maxLimit): limit = Int(value)
        default: throw EnvelopeError(.invalidInput, "limit must be an integer from 1 to 50.")
        }
    }

    /// An optional filter: a single-line string of 1–200 bytes.
    static func filter(_ value: JSON?, _ name: String) throws(EnvelopeError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?:
            guard !text.utf8.isEmpty, text.utf8.count <= maxFilterBytes,
                !text.utf8.contains(where: { $0.isASCIIControl })
            else { throw EnvelopeError(.invalidInput, "\(name) must be a single-line string of 1 to 200 bytes.") }
            return text
        default:
            throw EnvelopeError(.invalidInput, "\(name) must be a string.")
        }
    }
}

/// Detection of personal (B2C) data in a request, on bytes (ASCII case-insensitive).
public enum PersonalData {
    /// Consumer e-mail providers: an address at one of these is a person's, not a company's.
    static let consumerDomains: Set<String> = [
        "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com", "icloud.com", "me.com",
        "aol.com", "gmx.de", "gmx.net", "web.de", "proton.me", "protonmail.com", "mail.ru", "yandex.ru", "qq.com",
        "163.com",
    ]

    /// Whether a member name looks like personal data: it contains `email` or `phone`, starts with `personal`, or
    /// is `name`, `firstName` or `lastName` (ignoring case, `_` and `-`).
    public static func isPersonalFieldName(_ name: String) -> Bool {
        let folded = name.utf8.filter { $0 != 0x5F && $0 != 0x2D }.map(\.asciiLowercased)
        func has(_ word: String) -> Bool { folded.containsBytes(word.utf8) }
        return has("email") || has("phone") || folded.starts(with: "personal".utf8)
            || ["name", "firstname", "lastname"].contains { folded.elementsEqual($0.utf8) }
    }

    /// Whether `text` holds an e-mail address (`local@domain`) whose domain is a consumer provider.
    public static func containsConsumerEmail(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        for (at, byte) in bytes.enumerated() where byte == 0x40 {
            guard at > 0, isLocalByte(bytes[at - 1]) else { continue }
            var domain: [UInt8] = []
            var i = at + 1
            while i < bytes.count, isDomainByte(bytes[i]) {
                domain.append(bytes[i].asciiLowercased)
                i += 1
            }
            while domain.last == 0x2E { domain.removeLast() }
            if consumerDomains.contains(String(decoding: domain, as: UTF8.self)) { return true }
        }
        return false
    }

    private static func isDomainByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E: true
        default: false
        }
    }

    /// Bytes of an address's local part (RFC 5322 atext, ASCII).
    private static func isLocalByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        default: "!#$%&'*+-/=?^_`{|}~.".utf8.contains(byte)
        }
    }
}
