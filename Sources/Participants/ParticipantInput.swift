internal import Bytes
public import Middleware
public import WardenJSON

/// Validation of the participant API's inputs: bodies, path ids and the list's cursor. Messages name the field,
/// never the value received. The fuzz targets (fuzz/validation) run this very code.
public enum ParticipantInput {
    /// Longest accepted string field, in bytes.
    static let maxStringBytes = 500
    /// Longest accepted email address, in bytes (RFC 5321 path limit).
    static let maxEmailBytes = 254

    /// A required or optional single-line string: at most 500 bytes, no control characters.
    static func string(_ value: JSON?, _ name: String, required: Bool = false) throws(EnvelopeError) -> String? {
        switch value {
        case nil, .null?:
            if required { throw EnvelopeError(.invalidInput, "\(name) is required.") }
            return nil
        case .string(let text)?:
            guard text.utf8.count <= maxStringBytes, !text.utf8.contains(where: { $0.isASCIIControl }) else {
                throw EnvelopeError(.invalidInput, "\(name) must be a single-line string of at most 500 bytes.")
            }
            if required, text.utf8.allSatisfy({ $0 == 0x20 }) { throw EnvelopeError(.invalidInput, "\(name) is required.") }
            return text
        default:
            throw EnvelopeError(.invalidInput, "\(name) must be a string.")
        }
    }

    /// An optional boolean.
    static func bool(_ value: JSON?, _ name: String) throws(EnvelopeError) -> Bool? {
        switch value {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        default: throw EnvelopeError(.invalidInput, "\(name) must be true or false.")
        }
    }

    /// A plausible email address, lower-cased in ASCII only (otherwise stored as sent): exactly one `@`, a non-empty
    /// local part, a domain with an inner dot, no spaces or control characters, at most 254 bytes. Duplicates are
    /// found by the database, whose unique index folds Unicode case and normalization (migration 13).
    public static func email(_ value: JSON?) throws(EnvelopeError) -> String {
        let invalid = EnvelopeError(.invalidInput, "email must be a valid email address.")
        guard case .string(let text)? = value else {
            throw value == nil || value == .null ? EnvelopeError(.invalidInput, "email is required.") : invalid
        }
        let bytes = Array(text.utf8)
        guard bytes.count <= maxEmailBytes, !bytes.contains(where: { $0.isASCIIControl || $0 == UInt8(ascii: " ") }),
            bytes.lazy.filter({ $0 == 0x40 }).count == 1, let at = bytes.firstIndex(of: 0x40)
        else { throw invalid }
        let local = bytes[..<at], domain = bytes[(at + 1)...]
        guard !local.isEmpty, let dot = domain.firstIndex(of: 0x2E), dot != domain.startIndex, domain.last != 0x2E
        else { throw invalid }
        return String(decoding: bytes.map(\.asciiLowercased), as: UTF8.self)
    }

    /// An ISO 8601 date and time with a zone: `YYYY-MM-DDTHH:MM[:SS[.fraction]](Z|±HH:MM|±HHMM)`. PostgreSQL
    /// parses it; its own range check (e.g. 30 February) answers 400 too.
    static func dateTime(_ value: JSON?) throws(EnvelopeError) -> String? {
        guard let text = try string(value, "meetingDateTime") else { return nil }
        guard isISO8601(Array(text.utf8)) else {
            throw EnvelopeError(.invalidInput, "meetingDateTime must be an ISO 8601 date and time with a time zone.")
        }
        return text
    }

    /// Whether `b` is an ISO 8601 date-time with a zone (see `dateTime`).
    public static func isISO8601(_ b: [UInt8]) -> Bool {
        var i = 0
        func digits(_ n: Int, max: Int) -> Bool {
            guard i + n <= b.count, b[i..<(i + n)].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
            let value = b[i..<(i + n)].reduce(0) { $0 * 10 + Int($1 - 0x30) }
            i += n
            return value <= max
        }
        func byte(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard digits(4, max: 9999), byte(0x2D), digits(2, max: 12), byte(0x2D), digits(2, max: 31),
            byte(0x54) || byte(0x74), digits(2, max: 23), byte(0x3A), digits(2, max: 59)
        else { return false }
        if byte(0x3A) {
            guard digits(2, max: 60) else { return false }
            if byte(0x2E) {
                let start = i
                while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
                guard i > start, i - start <= 9 else { return false }
            }
        }
        if byte(0x5A) || byte(0x7A) { return i == b.count }
        guard byte(0x2B) || byte(0x2D), digits(2, max: 14) else { return false }
        _ = byte(0x3A)
        return digits(2, max: 59) && i == b.count
    }

    /// A non-negative decimal integer that fits in `Int64` (ASCII digits only, at most 19), else `nil`. Every id
    /// `Cursor.encode` is given decodes again (up to 18 digits were accepted before: ids from 10^18 on broke paging).
    public static func decimal(_ text: String) -> Int64? {
        let bytes = text.utf8
        guard !bytes.isEmpty, bytes.count <= 19, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int64(text)
    }

    /// Refuses members other than `allowed`.
    public static func onlyKnown(_ body: JSONObject, _ allowed: Set<String>) throws(EnvelopeError) {
        guard body.keys.allSatisfy(allowed.contains) else {
            throw EnvelopeError(.invalidInput, "The request body has an unknown field.")
        }
    }
}

/// The body of `POST /api/participants`.
public struct NewParticipant: Sendable {
    public let meetingId: String
    public let meetingTitle: String?
    public let meetingDateTime: String?
    public let meetingPlatform: String?
    public let email: String
    public let displayName: String?
    public let responseStatus: String?
    public let isOrganizer: Bool
    public let isOptional: Bool

    public static let fields: Set<String> = [
        "meetingId", "meetingTitle", "meetingDateTime", "meetingPlatform", "email", "displayName", "responseStatus",
        "isOrganizer", "isOptional",
    ]

    /// Validates a body; `INVALID_INPUT` names the first field at fault.
    public init(_ body: JSONObject) throws(EnvelopeError) {
        try ParticipantInput.onlyKnown(body, Self.fields)
        guard let meeting = try ParticipantInput.string(body["meetingId"], "meetingId", required: true) else {
            throw EnvelopeError(.invalidInput, "meetingId is required.")
        }
        meetingId = meeting
        meetingTitle = try ParticipantInput.string(body["meetingTitle"], "meetingTitle")
        meetingDateTime = try ParticipantInput.dateTime(body["meetingDateTime"])
        meetingPlatform = try ParticipantInput.string(body["meetingPlatform"], "meetingPlatform")
        email = try ParticipantInput.email(body["email"])
        displayName = try ParticipantInput.string(body["displayName"], "displayName")
        responseStatus = try ParticipantInput.string(body["responseStatus"], "responseStatus")
        isOrganizer = try ParticipantInput.bool(body["isOrganizer"], "isOrganizer") ?? false
        isOptional = try ParticipantInput.bool(body["isOptional"], "isOptional") ?? false
    }
}

/// The body of `PUT /api/participants/{id}`: only the members present change (`null` clears display name and
/// response status).
public struct ParticipantChange: Sendable {
    /// `nil`: unchanged; `.some(nil)`: cleared.
    public let displayName: String??
    public let email: String?
    public let responseStatus: String??
    public let isOptional: Bool?

    public static let fields: Set<String> = ["displayName", "email", "responseStatus", "isOptional"]

    /// Validates a body; at least one known member is required.
    public init(_ body: JSONObject) throws(EnvelopeError) {
        try ParticipantInput.onlyKnown(body, Self.fields)
        guard !body.isEmpty else { throw EnvelopeError(.invalidInput, "Nothing to update.") }
        displayName = body.contains(key: "displayName") ? .some(try ParticipantInput.string(body["displayName"], "displayName")) : nil
        email = body.contains(key: "email") ? try ParticipantInput.email(body["email"]) : nil
        responseStatus =
            body.contains(key: "responseStatus") ? .some(try ParticipantInput.string(body["responseStatus"], "responseStatus")) : nil
        guard !body.contains(key: "isOptional") || body["isOptional"] != .null else {
            throw EnvelopeError(.invalidInput, "isOptional must be true or false.")
        }
        isOptional = try ParticipantInput.bool(body["isOptional"], "isOptional")
    }
}

/// The list's opaque cursor: base64url (no padding) of the last id's decimal text.
public enum Cursor {
    /// The cursor continuing after `id`.
    public static func encode(_ id: Int64) -> String {
        Base64.urlUnpadded.encode(Array(String(id).utf8))
    }

    /// The id a cursor continues after, or `nil` when it is not one of ours.
    public static func decode(_ text: String) -> Int64? {
        guard text.utf8.count <= 32, let bytes = Base64.urlUnpadded.decode(text),
            let id = ParticipantInput.decimal(String(decoding: bytes, as: UTF8.self)), id > 0
        else { return nil }
        return id
    }
}
