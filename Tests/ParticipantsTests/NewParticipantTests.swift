import Middleware
import Testing
import WardenJSON

@testable import Participants

/// `POST /api/participants`: what is accepted, and each field's refusal with its message.
@Suite struct NewParticipantTests {
    func validate(_ text: String) throws -> NewParticipant { try NewParticipant(try body(text)) }

    func refuses(_ text: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        expectRefusal(message, "\(text)", sourceLocation: sourceLocation) { _ = try validate(text) }
    }

    @Test func theRequiredFieldsOnly() throws {
        let input = try validate(#"{"meetingId":"m-1","email":"ada@example.com"}"#)
        #expect(input.meetingId == "m-1" && input.email == "ada@example.com")
        #expect(input.meetingTitle == nil && input.meetingDateTime == nil && input.meetingPlatform == nil)
        #expect(input.displayName == nil && input.responseStatus == nil)
        #expect(!input.isOrganizer && !input.isOptional)
    }

    @Test func everyField() throws {
        let input = try validate(
            #"""
            {"meetingId":"m-1","meetingTitle":"Weekly sync","meetingDateTime":"2026-03-01T10:00:00+01:00",
             "meetingPlatform":"zoom","email":"Ada.Lovelace@Example.COM","displayName":"Ada Lovelace",
             "responseStatus":"accepted","isOrganizer":true,"isOptional":true}
            """#)
        #expect(input.meetingTitle == "Weekly sync" && input.meetingDateTime == "2026-03-01T10:00:00+01:00")
        #expect(input.meetingPlatform == "zoom" && input.displayName == "Ada Lovelace" && input.responseStatus == "accepted")
        #expect(input.email == "ada.lovelace@example.com")  // ASCII lower-cased
        #expect(input.isOrganizer && input.isOptional)
    }

    @Test func nullMeansAbsent() throws {
        let input = try validate(
            #"""
            {"meetingId":"m","email":"a@b.co","meetingTitle":null,"meetingDateTime":null,"meetingPlatform":null,
             "displayName":null,"responseStatus":null,"isOrganizer":null,"isOptional":null}
            """#)
        #expect(input.meetingTitle == nil && input.meetingDateTime == nil && input.displayName == nil)
        #expect(!input.isOrganizer && !input.isOptional)
    }

    @Test func stringsAreAtMost500Bytes() throws {
        #expect(try validate(#"{"meetingId":"\#(String(repeating: "é", count: 250))","email":"a@b.co"}"#).meetingId.utf8.count == 500)
        refuses(
            #"{"meetingId":"\#(String(repeating: "é", count: 250))x","email":"a@b.co"}"#,
            "meetingId must be a single-line string of at most 500 bytes.")
        refuses(
            #"{"meetingId":"m","meetingTitle":"\#(String(repeating: "x", count: 501))","email":"a@b.co"}"#,
            "meetingTitle must be a single-line string of at most 500 bytes.")
    }

    @Test(arguments: [#"\n"#, #"\r"#, #"\t"#, #"\u0000"#, #"\u007f"#])
    func controlCharactersAreRefused(_ escape: String) {
        refuses(
            #"{"meetingId":"m","email":"a@b.co","displayName":"Ada\#(escape)L"}"#,
            "displayName must be a single-line string of at most 500 bytes.")
    }

    @Test(arguments: [#"{"email":"a@b.co"}"#, #"{"meetingId":null,"email":"a@b.co"}"#, #"{"meetingId":"","email":"a@b.co"}"#, #"{"meetingId":"   ","email":"a@b.co"}"#])
    func meetingIdIsRequired(_ text: String) {
        refuses(text, "meetingId is required.")
    }

    @Test func aMeetingIdWithOtherBlanksIsNotBlank() throws {
        // Only spaces make a blank id; a tab is a control character.
        refuses(#"{"meetingId":"\t","email":"a@b.co"}"#, "meetingId must be a single-line string of at most 500 bytes.")
        #expect(try validate(#"{"meetingId":" m ","email":"a@b.co"}"#).meetingId == " m ")
    }

    @Test(arguments: ["meetingId", "meetingTitle", "meetingPlatform", "displayName", "responseStatus"])
    func stringFieldsMustBeStrings(_ field: String) {
        var members = [#""meetingId":"m""#, #""email":"a@b.co""#].filter { !$0.hasPrefix("\"\(field)\"") }
        members.append(#""\#(field)":42"#)
        refuses("{" + members.joined(separator: ",") + "}", "\(field) must be a string.")
    }

    @Test(arguments: ["isOrganizer", "isOptional"])
    func flagsMustBeBooleans(_ field: String) {
        for value in [#""true""#, "1", "0", "[]"] {
            refuses(#"{"meetingId":"m","email":"a@b.co","\#(field)":\#(value)}"#, "\(field) must be true or false.")
        }
    }

    @Test func meetingDateTimeMustBeISO8601WithAZone() {
        refuses(
            #"{"meetingId":"m","email":"a@b.co","meetingDateTime":"2026-03-01 10:00"}"#,
            "meetingDateTime must be an ISO 8601 date and time with a time zone.")
        refuses(#"{"meetingId":"m","email":"a@b.co","meetingDateTime":20260301}"#, "meetingDateTime must be a string.")
    }

    @Test func emailIsRequired() {
        refuses(#"{"meetingId":"m"}"#, "email is required.")
        refuses(#"{"meetingId":"m","email":null}"#, "email is required.")
        refuses(#"{"meetingId":"m","email":42}"#, "email must be a valid email address.")
        refuses(#"{"meetingId":"m","email":""}"#, "email must be a valid email address.")
    }

    @Test func unknownFieldsAreRefusedFirst() {
        refuses(#"{"meetingId":"m","email":"a@b.co","id":7}"#, "The request body has an unknown field.")
        // Before any field's own rule.
        refuses(#"{"email":42,"organizationId":"org"}"#, "The request body has an unknown field.")
    }

    @Test func theFirstFieldAtFaultIsNamed() {
        // The order: meetingId, meetingTitle, meetingDateTime, meetingPlatform, email, displayName, responseStatus,
        // isOrganizer, isOptional — whatever the body's order.
        refuses(#"{"isOptional":1,"email":"bad","meetingId":"m"}"#, "email must be a valid email address.")
        refuses(#"{"email":"bad","meetingTitle":1,"meetingId":"m"}"#, "meetingTitle must be a string.")
        refuses(#"{"isOrganizer":1,"responseStatus":2,"meetingId":"m","email":"a@b.co"}"#, "responseStatus must be a string.")
        refuses(#"{"isOptional":1,"isOrganizer":2,"meetingId":"m","email":"a@b.co"}"#, "isOrganizer must be true or false.")
    }

    @Test func fieldsListTheBody() {
        #expect(
            NewParticipant.fields == [
                "meetingId", "meetingTitle", "meetingDateTime", "meetingPlatform", "email", "displayName", "responseStatus",
                "isOrganizer", "isOptional",
            ])
    }
}
