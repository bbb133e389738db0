import Testing
import WardenJSON

@testable import Participants

/// `ParticipantRow`: the row every participant statement selects, as the API's JSON.
@Suite struct RowMappingTests {
    static let fullRow: [String?] = [
        "42", "org_1", "m-1", "Weekly sync", "2026-03-01T09:00:00.000Z", "zoom", "ada@example.com", "Ada Lovelace", "accepted",
        "t", "f", "c-9", "enriched", "provider", "0.87", "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.123Z",
        "2026-01-03T00:00:00.000Z",
    ]

    @Test func aParticipant() {
        let expected: JSON = [
            "id": 42, "organizationId": "org_1", "meetingId": "m-1", "meetingTitle": "Weekly sync",
            "meetingDateTime": "2026-03-01T09:00:00.000Z", "meetingPlatform": "zoom", "email": "ada@example.com",
            "displayName": "Ada Lovelace", "responseStatus": "accepted", "isOrganizer": true, "isOptional": false,
            "contactId": "c-9", "enrichmentStatus": "enriched", "enrichmentSource": "provider", "autoMatchConfidence": 0.87,
            "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-02T00:00:00.123Z", "lastActivityAt": "2026-01-03T00:00:00.000Z",
        ]
        let json = ParticipantRow.json(Self.fullRow)
        #expect(json == expected)
        #expect(json.serialized() == expected.serialized())  // member order too
    }

    @Test func nullsAreNull() {
        var row = Self.fullRow
        for index in [3, 4, 5, 7, 8, 11, 13, 14] { row[index] = nil }
        let json = ParticipantRow.json(row)
        for field in ["meetingTitle", "meetingDateTime", "meetingPlatform", "displayName", "responseStatus", "contactId", "enrichmentSource", "autoMatchConfidence"] {
            #expect(json[field] == .null, "\(field)")
        }
        #expect(json["id"] == 42 && json["email"] == "ada@example.com")
    }

    @Test func numbersThatDoNotReadAreNull() {
        var row = Self.fullRow
        row[0] = "forty-two"
        row[14] = "high"
        let json = ParticipantRow.json(row)
        #expect(json["id"] == .null && json["autoMatchConfidence"] == .null)
    }

    @Test func flagsAreTrueOnlyForT() {
        var row = Self.fullRow
        row[9] = "f"
        row[10] = "t"
        let json = ParticipantRow.json(row)
        #expect(json["isOrganizer"] == false && json["isOptional"] == true)
    }

    @Test func missingTrailingCellsAreNull() {
        let json = ParticipantRow.json(["7", "org_1"])
        #expect(json["id"] == 7 && json["organizationId"] == "org_1" && json["lastActivityAt"] == .null && json["isOrganizer"] == .null)
        guard case .object(let object) = ParticipantRow.json([]) else {
            Issue.record("not an object")
            return
        }
        #expect(object.keys == ParticipantRow.columns.map(\.field))
        #expect(object.values.allSatisfy { $0 == .null })
    }

    @Test func eachFieldIsItsColumnInLowerCamelCase() {
        #expect(ParticipantRow.columns.count == 18)
        for column in ParticipantRow.columns {
            var field = ""
            var upper = false
            for character in column.name {
                if character == "_" {
                    upper = true
                } else {
                    field += upper ? character.uppercased() : String(character)
                    upper = false
                }
            }
            #expect(column.field == field)
        }
    }

    @Test func enrichmentHistory() {
        let json = ParticipantRow.historyJSON(["3", "provider", "10", "enriched", "2026-01-02T03:04:05.678Z"])
        let expected: JSON = ["id": 3, "source": "provider", "costCents": 10, "outcome": "enriched", "createdAt": "2026-01-02T03:04:05.678Z"]
        #expect(json.serialized() == expected.serialized())
        let sparse = ParticipantRow.historyJSON(["x", nil, "ten"])
        let nulls: JSON = ["id": nil, "source": nil, "costCents": nil, "outcome": nil, "createdAt": nil]
        #expect(sparse.serialized() == nulls.serialized())
    }
}
