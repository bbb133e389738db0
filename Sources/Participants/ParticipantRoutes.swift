public import Middleware
public import Postgres
public import WardenJSON

/// The route handlers of the participant API (functions/participants declares the routes). Each runs in a session
/// scoped to the caller's organization: `$1` is the organization and row-level security hides every other
/// organization's rows, so another organization's id is simply "not found".
public enum ParticipantRoutes {
    /// Default and largest page size of the list.
    static let defaultLimit = 20
    static let maxLimit = 100

    /// `GET /api/participants?limit=&cursor=`: newest first, keyset pagination on the id.
    @Sendable public static func list(_ call: RouteRequest) throws -> RouteResponse {
        let query = call.request.queryParameters
        var limit = defaultLimit
        if let text = query["limit"] {
            guard let value = ParticipantInput.decimal(text), value >= 1, value <= Int64(maxLimit) else {
                throw EnvelopeError(.invalidInput, "limit must be an integer from 1 to 100.")
            }
            limit = Int(value)
        }
        var before: PGValue = .null
        if let text = query["cursor"] {
            guard let id = Cursor.decode(text) else { throw EnvelopeError(.invalidInput, "The cursor is not valid.") }
            before = .int(id)
        }
        let rows = try call.session.query(ParticipantSQL.list, [before, .int(Int64(limit + 1))])
        let page = rows.rows.prefix(limit)
        let hasMore = rows.rows.count > limit
        var next: JSON = .null
        if hasMore, let last = page.last, let id = last.first.flatMap({ $0 }).flatMap({ Int64($0) }) {
            next = .string(Cursor.encode(id))
        }
        let pagination: JSON = ["limit": .int(Int64(limit)), "nextCursor": next, "hasMore": .bool(hasMore)]
        return RouteResponse(data: .array(page.map(ParticipantRow.json)), meta: ["pagination": pagination])
    }

    /// `POST /api/participants`: 201 with the new row; 409 when the meeting already has this email (compared up to
    /// Unicode case and normalization).
    @Sendable public static func create(_ call: RouteRequest) throws -> RouteResponse {
        let input = try NewParticipant(try call.jsonBody())
        let rows: PGRows
        do {
            rows = try call.session.query(
                ParticipantSQL.insert,
                [
                    .text(input.meetingId), input.meetingTitle.map(PGValue.text) ?? .null,
                    input.meetingDateTime.map(PGValue.text) ?? .null, input.meetingPlatform.map(PGValue.text) ?? .null,
                    .text(input.email), input.displayName.map(PGValue.text) ?? .null,
                    input.responseStatus.map(PGValue.text) ?? .null, .bool(input.isOrganizer), .bool(input.isOptional),
                ]
            )
        } catch {
            throw mapped(error, call)
        }
        // ON CONFLICT DO NOTHING: no row means the meeting already has a live participant with this address, up to
        // Unicode case and normalization (migration 13).
        guard let row = rows.first else { throw duplicate }
        return RouteResponse(status: 201, data: ParticipantRow.json(row))
    }

    /// `PUT /api/participants/{id}`: rectifies display name, email, response status, optional flag; an email that
    /// another live participant of the meeting has (up to Unicode case and normalization) is a unique violation: 409.
    @Sendable public static func update(_ call: RouteRequest) throws -> RouteResponse {
        let id = try participantID(call)
        let change = try ParticipantChange(try call.jsonBody())
        let rows: PGRows
        do {
            rows = try call.session.query(
                ParticipantSQL.update,
                [
                    .int(id), .bool(change.displayName != nil), change.displayName.flatMap { $0 }.map(PGValue.text) ?? .null,
                    change.email.map(PGValue.text) ?? .null, .bool(change.responseStatus != nil),
                    change.responseStatus.flatMap { $0 }.map(PGValue.text) ?? .null, change.isOptional.map(PGValue.bool) ?? .null,
                ]
            )
        } catch {
            throw mapped(error, call)
        }
        if let row = rows.first { return RouteResponse(data: ParticipantRow.json(row)) }
        // Nothing updated: either not this organization's row, or an erased one.
        let status = try call.session.query(ParticipantSQL.status, [.int(id)])
        guard status.first != nil else { throw notFound }
        throw EnvelopeError(.conflict, "This participant was erased and can no longer be changed.")
    }

    /// `POST /api/participants/{id}/erase` (GDPR Art. 17): personal data replaced by `[deleted]`, row kept for
    /// aggregates. Erasing again changes nothing and answers the same.
    @Sendable public static func erase(_ call: RouteRequest) throws -> RouteResponse {
        let id = try participantID(call)
        guard let row = try call.session.query(ParticipantSQL.erase, [.int(id)]).first else { throw notFound }
        return RouteResponse(data: ParticipantRow.json(row))
    }

    /// `GET /api/participants/{id}/export` (GDPR Art. 20): the participant row and its enrichment history.
    @Sendable public static func export(_ call: RouteRequest) throws -> RouteResponse {
        let id = try participantID(call)
        guard let row = try call.session.query(ParticipantSQL.select, [.int(id)]).first else { throw notFound }
        let history = try call.session.query(ParticipantSQL.history, [.int(id)])
        return RouteResponse(data: [
            "participant": ParticipantRow.json(row),
            "enrichmentHistory": .array(history.rows.map(ParticipantRow.historyJSON)),
        ])
    }

    /// The answer for an id that names none of the organization's participants.
    public static let notFound = EnvelopeError(.notFound, "No such participant.")
    static let duplicate = EnvelopeError(.conflict, "This meeting already has a participant with this email.")

    /// The `{id}` path parameter: a positive decimal id, else "not found" (it cannot name a row).
    public static func participantID(_ call: RouteRequest) throws(EnvelopeError) -> Int64 {
        guard let text = call.pathParameters["id"], let id = ParticipantInput.decimal(text), id > 0 else { throw notFound }
        return id
    }

    /// Caller errors raised by the statement itself: a unique violation (409) or a value PostgreSQL refused
    /// (SQLSTATE class 22, e.g. a date out of range: 400). Anything else is rethrown as it is.
    static func mapped(_ error: PostgresError, _ call: RouteRequest) -> any Error {
        let state = error.sqlState ?? ""
        guard state == "23505" || state.hasPrefix("22") else { return error }
        // The failed batch also rolled back the rate-limit preamble; charge it with an empty statement.
        _ = try? call.session.query(ParticipantSQL.nothing)
        return state == "23505" ? duplicate : EnvelopeError(.invalidInput, "A value is out of range.")
    }

    // MARK: For the enrichment routes

    /// Whether participant `id` was erased; `nil` when it is not one of the session organization's participants.
    public static func isErased(_ id: Int64, session: TenantSession) throws(PostgresError) -> Bool? {
        guard let row = try session.query(ParticipantSQL.status, [.int(id)]).first else { return nil }
        return row.first == "deleted"
    }

    /// Participant `id` as the API's JSON; `nil` when it is not one of the session organization's participants.
    public static func participant(_ id: Int64, session: TenantSession) throws(PostgresError) -> JSON? {
        try session.query(ParticipantSQL.select, [.int(id)]).first.map(ParticipantRow.json)
    }
}
