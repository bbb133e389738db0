internal import WardenJSON

/// The participant row: what every statement returning participants selects (`ParticipantSQL`'s `list`, `select`,
/// `insert`, `update`, `erase` and `exportPage`), column by column, and the participant API's JSON it becomes. The
/// list, the export's lines and every other answer holding a participant read rows through this one type, so a
/// participant reads the same everywhere.
///
/// `columns` is the row shape's single description. The statements repeat its select list in their text, because
/// `SQL` takes a literal and Swift cannot join literals at compile time (sharing it in the database, as a view or a
/// function, would be a schema change); `ParticipantsTests` checks every one of them against `columns`.
enum ParticipantRow {
    /// How a column is selected (in text form) and how that text becomes JSON.
    enum Kind {
        /// A `bigint`: a JSON integer.
        case integer
        /// A `boolean` (`t` or `f`): a JSON boolean.
        case boolean
        /// A `double precision`: a JSON number.
        case double
        /// Text: a JSON string.
        case text
        /// A `timestamptz`, selected as ISO 8601 in UTC with milliseconds (`to_char(… AT TIME ZONE 'UTC', …)`): a
        /// JSON string.
        case timestamp
    }

    /// One column of the row: its name in `meeting_participants`, its member in the JSON, its kind.
    struct Column {
        let name: String
        let field: String
        let kind: Kind

        init(_ name: String, _ field: String, _ kind: Kind) {
            self.name = name
            self.field = field
            self.kind = kind
        }
    }

    /// The row, in select-list order; the JSON's members come in the same order.
    static let columns = [
        Column("id", "id", .integer),
        Column("organization_id", "organizationId", .text),
        Column("meeting_id", "meetingId", .text),
        Column("meeting_title", "meetingTitle", .text),
        Column("meeting_date_time", "meetingDateTime", .timestamp),
        Column("meeting_platform", "meetingPlatform", .text),
        Column("email", "email", .text),
        Column("display_name", "displayName", .text),
        Column("response_status", "responseStatus", .text),
        Column("is_organizer", "isOrganizer", .boolean),
        Column("is_optional", "isOptional", .boolean),
        Column("contact_id", "contactId", .text),
        Column("enrichment_status", "enrichmentStatus", .text),
        Column("enrichment_source", "enrichmentSource", .text),
        Column("auto_match_confidence", "autoMatchConfidence", .double),
        Column("created_at", "createdAt", .timestamp),
        Column("updated_at", "updatedAt", .timestamp),
        Column("last_activity_at", "lastActivityAt", .timestamp),
    ]

    /// One participant. A missing trailing cell reads as NULL; NULL is `null` in every kind, and so is text that
    /// does not read as its number.
    @Sendable static func json(_ row: [String?]) -> JSON {
        var object = JSONObject(minimumCapacity: columns.count)
        for (index, column) in columns.enumerated() {
            let text = index < row.count ? row[index] : nil
            object.append(key: column.field, value: value(text, column.kind))
        }
        return .object(object)
    }

    /// One enrichment attempt (`ParticipantSQL.history`): id, source, costCents, outcome, createdAt.
    @Sendable static func historyJSON(_ row: [String?]) -> JSON {
        func at(_ i: Int) -> String? { i < row.count ? row[i] : nil }
        return [
            "id": at(0).flatMap { Int64($0) }.map(JSON.int) ?? .null,
            "source": at(1).map(JSON.string) ?? .null,
            "costCents": at(2).flatMap { Int64($0) }.map(JSON.int) ?? .null,
            "outcome": at(3).map(JSON.string) ?? .null,
            "createdAt": at(4).map(JSON.string) ?? .null,
        ]
    }

    private static func value(_ text: String?, _ kind: Kind) -> JSON {
        guard let text else { return .null }
        switch kind {
        case .integer: return Int64(text).map(JSON.int) ?? .null
        case .boolean: return .bool(text == "t")
        case .double: return Double(text).map(JSON.double) ?? .null
        case .text, .timestamp: return .string(text)
        }
    }
}
