public import WardenJSON

/// Participant rows (text form, in the column order both the participant API and the export select) as the
/// participant API's JSON. Shared by functions/participants and functions/participant_export so a participant
/// reads the same everywhere.
public enum ParticipantRow {
    /// Field names of a participant row, by column position.
    public static let fields = [
        "id", "organizationId", "meetingId", "meetingTitle", "meetingDateTime", "meetingPlatform", "email", "displayName",
        "responseStatus", "isOrganizer", "isOptional", "contactId", "enrichmentStatus", "enrichmentSource",
        "autoMatchConfidence", "createdAt", "updatedAt", "lastActivityAt",
    ]
    /// Positions holding a bigint, a boolean, a double.
    private static let integers: Set<Int> = [0]
    private static let booleans: Set<Int> = [9, 10]
    private static let doubles: Set<Int> = [14]

    /// One participant.
    @Sendable public static func json(_ row: [String?]) -> JSON {
        var object = JSONObject(minimumCapacity: fields.count)
        for (index, name) in fields.enumerated() {
            let text = index < row.count ? row[index] : nil
            object.append(key: name, value: value(text, index))
        }
        return .object(object)
    }

    /// One enrichment attempt: id, source, costCents, outcome, createdAt.
    @Sendable public static func historyJSON(_ row: [String?]) -> JSON {
        func at(_ i: Int) -> String? { i < row.count ? row[i] : nil }
        return [
            "id": at(0).flatMap { Int64($0) }.map(JSON.int) ?? .null,
            "source": at(1).map(JSON.string) ?? .null,
            "costCents": at(2).flatMap { Int64($0) }.map(JSON.int) ?? .null,
            "outcome": at(3).map(JSON.string) ?? .null,
            "createdAt": at(4).map(JSON.string) ?? .null,
        ]
    }

    private static func value(_ text: String?, _ index: Int) -> JSON {
        guard let text else { return .null }
        if integers.contains(index) { return Int64(text).map(JSON.int) ?? .null }
        if booleans.contains(index) { return .bool(text == "t") }
        if doubles.contains(index) { return Double(text).map(JSON.double) ?? .null }
        return .string(text)
    }
}
