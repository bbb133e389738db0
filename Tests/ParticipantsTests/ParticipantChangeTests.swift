import Middleware
import Testing
import WardenJSON

@testable import Participants

/// `PUT /api/participants/{id}`: only the members present change, `null` clears the two clearable ones.
@Suite struct ParticipantChangeTests {
    func validate(_ text: String) throws -> ParticipantChange { try ParticipantChange(try body(text)) }

    func refuses(_ text: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        expectRefusal(message, "\(text)", sourceLocation: sourceLocation) { _ = try validate(text) }
    }

    @Test func absentMembersAreUnchanged() throws {
        let change = try validate(#"{"isOptional":true}"#)
        #expect(change.isOptional == true)
        #expect(change.displayName == nil && change.email == nil && change.responseStatus == nil)
    }

    @Test func nullClearsDisplayNameAndResponseStatus() throws {
        let change = try validate(#"{"displayName":null,"responseStatus":null}"#)
        #expect(change.displayName == .some(nil) && change.responseStatus == .some(nil))
        #expect(change.email == nil && change.isOptional == nil)
    }

    @Test func everyMember() throws {
        let change = try validate(#"{"displayName":"Ada","email":"ADA@Example.org","responseStatus":"declined","isOptional":false}"#)
        #expect(change.displayName == .some("Ada") && change.responseStatus == .some("declined"))
        #expect(change.email == "ada@example.org" && change.isOptional == false)
    }

    @Test func nothingToUpdate() {
        refuses("{}", "Nothing to update.")
    }

    @Test func unknownFieldsAreRefused() {
        refuses(#"{"meetingId":"m"}"#, "The request body has an unknown field.")
        refuses(#"{"displayName":"Ada","isOrganizer":true}"#, "The request body has an unknown field.")
    }

    @Test func eachMembersRule() {
        refuses(#"{"displayName":7}"#, "displayName must be a string.")
        refuses(#"{"displayName":"a\nb"}"#, "displayName must be a single-line string of at most 500 bytes.")
        refuses(#"{"responseStatus":false}"#, "responseStatus must be a string.")
        refuses(#"{"email":"no-at-sign.example"}"#, "email must be a valid email address.")
        // The address cannot be cleared.
        refuses(#"{"email":null}"#, "email is required.")
        refuses(#"{"isOptional":null}"#, "isOptional must be true or false.")
        refuses(#"{"isOptional":"false"}"#, "isOptional must be true or false.")
    }

    @Test func theFirstMemberAtFaultIsNamed() {
        // The order: displayName, email, responseStatus, isOptional.
        refuses(#"{"isOptional":0,"responseStatus":1,"email":"x","displayName":2}"#, "displayName must be a string.")
        refuses(#"{"isOptional":0,"responseStatus":1,"email":"x"}"#, "email must be a valid email address.")
        refuses(#"{"isOptional":0,"responseStatus":1}"#, "responseStatus must be a string.")
    }
}
