import Middleware
import Testing
import WardenJSON

@testable import Participants

/// The shared rules: dates, addresses, decimal ids, unknown members.
@Suite struct ParticipantInputTests {
    @Test(arguments: [
        "2026-03-01T10:00Z", "2026-03-01T10:00:00Z", "2026-03-01t10:00:00z", "2026-03-01T10:00:00.5Z",
        "2026-03-01T10:00:00.123456789+02:00", "2026-03-01T10:00:00+0200", "2026-03-01T10:00-14:59", "2026-12-31T23:59:60Z",
        // PostgreSQL's own range check refuses what only it can tell (30 February: 400 as well).
        "2026-02-31T10:00Z",
    ])
    func isoDatesWithAZone(_ text: String) {
        #expect(ParticipantInput.isISO8601(Array(text.utf8)))
    }

    @Test(arguments: [
        "", "2026-03-01", "2026-03-01T10:00", "2026-03-01T10:00:00", "2026-03-01 10:00Z", "2026-13-01T10:00Z",
        "2026-03-32T10:00Z", "2026-03-01T24:00Z", "2026-03-01T10:60Z", "2026-03-01T10:00:61Z", "2026-03-01T10:00:00.Z",
        "2026-03-01T10:00:00.1234567890Z", "2026-03-01T10:00+15:00", "2026-03-01T10:00+02:60", "2026-03-01T10:00+02",
        "2026-03-01T10:00+2", "2026-03-01T10:00Z ", "2026-03-01T10:00ZZ", "+2026-03-01T10:00Z", "26-03-01T10:00Z",
        "2026-3-01T10:00Z", "2026/03/01T10:00Z", "2026-03-01T10:00UTC",
    ])
    func otherTextIsNotADate(_ text: String) {
        #expect(!ParticipantInput.isISO8601(Array(text.utf8)))
    }

    @Test(arguments: [
        ("a@b.co", "a@b.co"), ("Ada.Lovelace+Tag@Example.COM", "ada.lovelace+tag@example.com"),
        // Only ASCII is folded: the database folds the rest when it compares (migration 13).
        ("Élodie@Exemple.FR", "Élodie@exemple.fr"), ("x@b..c", "x@b..c"),
    ])
    func addresses(_ text: String, _ stored: String) throws {
        #expect(try ParticipantInput.email(.string(text)) == stored)
    }

    @Test(arguments: [
        "", "plain", "@b.co", "a@", "a@b", "a@.b.co", "a@b.co.", "a@@b.co", "a@b@c.co", "a b@c.co", "a@b .co", "a\t@b.co",
        "a\u{7F}@b.co", " a@b.co", "a@b.co ",
    ])
    func notAddresses(_ text: String) {
        #expect(throws: EnvelopeError(.invalidInput, "email must be a valid email address.")) { try ParticipantInput.email(.string(text)) }
    }

    @Test func addressesAreAtMost254Bytes() throws {
        let local = String(repeating: "a", count: 64)
        let fits = local + "@" + String(repeating: "b", count: 254 - 64 - 1 - 3) + ".co"
        #expect(fits.utf8.count == 254)
        #expect(try ParticipantInput.email(.string(fits)) == fits)
        #expect(throws: EnvelopeError(.invalidInput, "email must be a valid email address.")) {
            try ParticipantInput.email(.string("a" + fits))
        }
    }

    @Test(arguments: [("0", Int64(0)), ("7", 7), ("0042", 42), ("9223372036854775807", Int64.max), ("1000000000000000000", 1_000_000_000_000_000_000)])
    func decimals(_ text: String, _ value: Int64) {
        #expect(ParticipantInput.decimal(text) == value)
    }

    @Test(arguments: ["", "-1", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "9223372036854775808", "18446744073709551616", "00000000000000000001", "٣", "１"])
    func notDecimals(_ text: String) {
        #expect(ParticipantInput.decimal(text) == nil)
    }

    @Test func onlyKnownMembers() throws {
        try ParticipantInput.onlyKnown(try body(#"{"a":1,"b":2}"#), ["a", "b", "c"])
        try ParticipantInput.onlyKnown(try body("{}"), [])
        #expect(throws: EnvelopeError(.invalidInput, "The request body has an unknown field.")) {
            try ParticipantInput.onlyKnown(try body(#"{"a":1,"d":2}"#), ["a", "b"])
        }
        // Names are compared exactly.
        #expect(throws: EnvelopeError(.invalidInput, "The request body has an unknown field.")) {
            try ParticipantInput.onlyKnown(try body(#"{"A":1}"#), ["a"])
        }
    }
}
