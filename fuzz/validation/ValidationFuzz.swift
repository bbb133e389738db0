internal import Copilot
internal import FuzzSupport
internal import Intent
internal import LambdaHTTP
internal import Middleware
internal import Participants
internal import Postgres
internal import WardenJSON

/// Request validation: copilot bodies (`CopilotRequest`), the participant API's bodies, ids and cursor
/// (`NewParticipant`, `ParticipantChange`, `ParticipantInput`, `Cursor`), the intent API's body (`ScoreRequest`,
/// `PersonalData`), and the JSON parser and writer they all stand on.
///
/// Input: a mode byte, a line feed, then the data:
/// - `c` a copilot body; `p` a `POST /api/participants` body; `u` a `PUT /api/participants/{id}` body; `i` a
///   `POST /v1/intent/score` body — parsed as the routes parse them (`RouteRequest.jsonBody`: depth 16, duplicate
///   members refused) and validated;
/// - `q` a list query: `limit` line, `cursor` line (as `GET /api/participants` reads them);
/// - `j` any JSON text, for the parser and writer;
/// - `m` an MCP request (`ValidationFuzz+MCP.swift`).
///
/// Invariants: every refusal is `INVALID_INPUT` with a message that quotes nothing of the input; what is accepted
/// obeys the documented rules; validated values rebuilt into a body validate again to the same values; cursors and
/// ids round-trip; JSON that parses re-serializes to a fixed point that parses to an equal value.
enum ValidationFuzz {
    static let bodyOptions = JSONParseOptions(maxDepth: 16, rejectDuplicateKeys: true)

    static func run(_ input: [UInt8]) {
        guard input.count >= 2, input[1] == 0x0A else { return }
        let data = Array(input[2...])
        switch input[0] {
        case UInt8(ascii: "c"): copilot(data)
        case UInt8(ascii: "p"): withBody(data, newParticipant)
        case UInt8(ascii: "u"): withBody(data, participantChange)
        case UInt8(ascii: "i"): withBody(data, score)
        case UInt8(ascii: "q"): listQuery(data)
        case UInt8(ascii: "j"): json(data)
        case UInt8(ascii: "m"): mcp(data)
        default: break
        }
    }

    /// A refusal: `INVALID_INPUT`, and a message that quotes nothing of the input. The messages are fixed sentences
    /// that name fields: letters, digits, spaces and `.,:;'()-` only, so an echoed e-mail address, JSON or control
    /// character shows.
    static func refused(_ error: EnvelopeError, _ input: [UInt8]) {
        Fuzz.check(error.code == .invalidInput, "refused with \(error.code)")
        Fuzz.check(
            !error.message.isEmpty
                && error.message.utf8.allSatisfy {
                    ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || " .,:;'()-".utf8.contains($0)
                }, "error message quotes the input: \(error.message)")
    }

    /// Parses `data` as the HTTP API routes do, then runs `validate` on the object.
    static func withBody(_ data: [UInt8], _ validate: (JSONObject, [UInt8]) -> Void) {
        guard !data.isEmpty, case .object(let object)? = try? JSON.parse(data, options: bodyOptions) else { return }
        validate(object, data)
    }

    /// A single-line string of at most `max` bytes.
    static func singleLine(_ text: String?, max: Int = 500) -> Bool {
        guard let text else { return true }
        return text.utf8.count <= max && !text.utf8.contains { $0 < 0x20 || $0 == 0x7F }
    }

    // MARK: Copilot

    static func copilot(_ data: [UInt8]) {
        let request: CopilotRequest
        do {
            request = try CopilotRequest(body: data)
        } catch {
            refused(error, data)
            return
        }
        Fuzz.check(!request.customerId.isEmpty && singleLine(request.customerId, max: 256), "customerId rules")
        switch request.params["ownerUserId"] {
        case .string(let owner)? where !owner.isEmpty: Fuzz.check(request.tenant.rawValue == owner, "tenant is not ownerUserId")
        case nil, .null?, .string?: Fuzz.check(request.tenant == .publicTenant, "tenant without an owner is not public")
        default: Fuzz.check(false, "accepted a non-string ownerUserId")
        }
        let rebuilt: JSON = ["customerId": .string(request.customerId), "params": .object(request.params)]
        guard let again = try? CopilotRequest(body: rebuilt.serialized()) else {
            Fuzz.check(false, "a rebuilt copilot body is refused")
            return
        }
        Fuzz.check(again.customerId == request.customerId && again.tenant == request.tenant && again.params == request.params,
                   "a rebuilt copilot body validates differently")
    }

    // MARK: Participants

    static func newParticipant(_ body: JSONObject, _ data: [UInt8]) {
        let input: NewParticipant
        do {
            input = try NewParticipant(body)
        } catch {
            refused(error, data)
            return
        }
        Fuzz.check(body.keys.allSatisfy(NewParticipant.fields.contains), "accepted an unknown field")
        Fuzz.check(!input.meetingId.utf8.allSatisfy { $0 == 0x20 }, "accepted a blank meetingId")
        for text in [input.meetingId, input.meetingTitle, input.meetingPlatform, input.displayName, input.responseStatus] {
            Fuzz.check(singleLine(text), "accepted a string that is too long or has control characters")
        }
        checkEmail(input.email)
        if let when = input.meetingDateTime { Fuzz.check(ParticipantInput.isISO8601(Array(when.utf8)), "accepted a bad date") }
        var rebuilt = JSONObject()
        rebuilt["meetingId"] = .string(input.meetingId)
        rebuilt["meetingTitle"] = input.meetingTitle.map(JSON.string) ?? .null
        rebuilt["meetingDateTime"] = input.meetingDateTime.map(JSON.string) ?? .null
        rebuilt["meetingPlatform"] = input.meetingPlatform.map(JSON.string) ?? .null
        rebuilt["email"] = .string(input.email)
        rebuilt["displayName"] = input.displayName.map(JSON.string) ?? .null
        rebuilt["responseStatus"] = input.responseStatus.map(JSON.string) ?? .null
        rebuilt["isOrganizer"] = .bool(input.isOrganizer)
        rebuilt["isOptional"] = .bool(input.isOptional)
        guard let again = try? NewParticipant(rebuilt) else {
            Fuzz.check(false, "a rebuilt participant is refused")
            return
        }
        Fuzz.check(
            again.meetingId == input.meetingId && again.meetingTitle == input.meetingTitle && again.meetingDateTime == input.meetingDateTime
                && again.meetingPlatform == input.meetingPlatform && again.email == input.email && again.displayName == input.displayName
                && again.responseStatus == input.responseStatus && again.isOrganizer == input.isOrganizer && again.isOptional == input.isOptional,
            "a rebuilt participant validates differently")
    }

    static func participantChange(_ body: JSONObject, _ data: [UInt8]) {
        let change: ParticipantChange
        do {
            change = try ParticipantChange(body)
        } catch {
            refused(error, data)
            return
        }
        Fuzz.check(!body.isEmpty && body.keys.allSatisfy(ParticipantChange.fields.contains), "accepted an empty or unknown change")
        if let email = change.email { checkEmail(email) }
        Fuzz.check(singleLine(change.displayName ?? nil) && singleLine(change.responseStatus ?? nil), "accepted a bad string")
        Fuzz.check(body.contains(key: "displayName") == (change.displayName != nil), "displayName presence")
        Fuzz.check(body.contains(key: "responseStatus") == (change.responseStatus != nil), "responseStatus presence")
        Fuzz.check(body.contains(key: "isOptional") == (change.isOptional != nil), "isOptional presence")
        var rebuilt = JSONObject()
        if let value = change.displayName { rebuilt["displayName"] = value.map(JSON.string) ?? .null }
        if let value = change.email { rebuilt["email"] = .string(value) }
        if let value = change.responseStatus { rebuilt["responseStatus"] = value.map(JSON.string) ?? .null }
        if let value = change.isOptional { rebuilt["isOptional"] = .bool(value) }
        guard let again = try? ParticipantChange(rebuilt) else {
            Fuzz.check(false, "a rebuilt change is refused")
            return
        }
        Fuzz.check(
            again.displayName == change.displayName && again.email == change.email && again.responseStatus == change.responseStatus
                && again.isOptional == change.isOptional, "a rebuilt change validates differently")
    }

    /// An accepted address: one `@`, a local part, a dotted domain, no spaces or controls, ASCII lower case, stable.
    static func checkEmail(_ email: String) {
        let bytes = Array(email.utf8)
        Fuzz.check(bytes.count <= 254 && bytes.filter { $0 == 0x40 }.count == 1, "email length or @ count")
        Fuzz.check(!bytes.contains { $0 <= 0x20 || $0 == 0x7F || ($0 >= 0x41 && $0 <= 0x5A) }, "email has spaces, controls or upper case")
        guard let at = bytes.firstIndex(of: 0x40) else { return }
        let domain = bytes[(at + 1)...]
        Fuzz.check(at > 0 && domain.dropFirst().contains(0x2E) && domain.last != 0x2E, "email local part or domain")
        Fuzz.check((try? ParticipantInput.email(.string(email))) == email, "email normalization is not idempotent")
    }

    /// `limit` and `cursor` as the list route reads them.
    static func listQuery(_ data: [UInt8]) {
        let lines = Fuzz.fields(data, count: 2)
        let limit = String(decoding: lines[0], as: UTF8.self), cursor = String(decoding: lines[1], as: UTF8.self)
        if let value = ParticipantInput.decimal(limit) {
            Fuzz.check(value >= 0 && Int64(limit) == value && limit.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }, "decimal")
        }
        if let id = Cursor.decode(cursor) {
            Fuzz.check(id > 0, "cursor decoded to a non-positive id")
            Fuzz.check(Cursor.decode(Cursor.encode(id)) == id, "cursor of a decoded id does not round-trip")
            Fuzz.check(!cursor.utf8.contains { $0 == 0x2B || $0 == 0x2F || $0 == 0x3D }, "cursor with + / or =")
        }
        if let id = Int64(limit), id > 0 {
            let encoded = Cursor.encode(id)
            Fuzz.check(Cursor.decode(encoded) == id, "cursor round trip")
            Fuzz.check(encoded.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D || $0 == 0x5F },
                       "cursor is not base64url")
        }
    }

    // MARK: Intent

    static func score(_ body: JSONObject, _ data: [UInt8]) {
        let request: ScoreRequest
        do {
            request = try ScoreRequest(body)
        } catch {
            refused(error, data)
            return
        }
        Fuzz.check(body.keys.allSatisfy(ScoreRequest.fields.contains), "accepted an unknown field")
        Fuzz.check(!body.keys.contains(where: PersonalData.isPersonalFieldName), "accepted a personal field")
        for (_, value) in body {
            Fuzz.check(!PersonalData.containsConsumerEmail(value.stringValue ?? ""), "accepted a consumer e-mail address")
        }
        let query = request.query.utf8
        Fuzz.check(!query.isEmpty && query.count <= 500 && singleLine(request.query) && !query.allSatisfy { $0 == 0x20 }, "query rules")
        Fuzz.check((1...50).contains(request.limit), "limit range")
        for filter in [request.filters.industry, request.filters.size, request.filters.region] {
            Fuzz.check(filter.map { !$0.isEmpty && singleLine($0, max: 200) } ?? true, "filter rules")
        }
        var rebuilt: JSONObject = ["query": .string(request.query), "limit": .int(Int64(request.limit))]
        if let v = request.filters.industry { rebuilt["industry"] = .string(v) }
        if let v = request.filters.size { rebuilt["size"] = .string(v) }
        if let v = request.filters.region { rebuilt["region"] = .string(v) }
        guard let again = try? ScoreRequest(rebuilt) else {
            Fuzz.check(false, "a rebuilt score request is refused")
            return
        }
        Fuzz.check(
            again.query == request.query && again.limit == request.limit && again.filters.industry == request.filters.industry
                && again.filters.size == request.filters.size && again.filters.region == request.filters.region,
            "a rebuilt score request validates differently")
    }

    // MARK: JSON

    /// Parse → serialize → parse is equal, and serialization is a fixed point.
    static func json(_ data: [UInt8]) {
        guard let value = try? JSON.parse(data) else { return }
        let text = value.serialized()
        guard let again = try? JSON.parse(text) else {
            Fuzz.check(false, "serialized JSON does not parse")
            return
        }
        Fuzz.check(again == value, "JSON round trip changed the value")
        Fuzz.check(again.serialized() == text, "serialization is not a fixed point")
        if let strict = try? JSON.parse(data, options: bodyOptions) {
            Fuzz.check(strict == value, "strict and default parses differ")
        }
    }
}

@main struct ValidationFuzzMain {
    static func main() { Fuzz.main(ValidationFuzz.run) }
}
