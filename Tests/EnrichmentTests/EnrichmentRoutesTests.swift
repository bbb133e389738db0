import Middleware
import Testing
import WardenJSON

@testable import Enrichment

/// The pure parts of the enrichment routes: the batch body's rules and the budget check before a job is created.
@Suite struct EnrichmentRoutesTests {
    func ids(_ text: String, maxBatch: Int = 50) throws -> [Int64] {
        guard case .object(let object) = try JSON.parse(text) else { throw JSONError(.typeMismatch) }
        return try EnrichmentRoutes.participantIDs(object, maxBatch: maxBatch)
    }

    func refuses(_ text: String, _ message: String, maxBatch: Int = 50, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: EnvelopeError(.invalidInput, message), "\(text)", sourceLocation: sourceLocation) {
            _ = try ids(text, maxBatch: maxBatch)
        }
    }

    @Test func aBatchKeepsItsOrder() throws {
        #expect(try ids(#"{"participantIds":[3,1,2]}"#) == [3, 1, 2])
        #expect(try ids(#"{"participantIds":[9223372036854775807]}"#) == [Int64.max])
    }

    @Test func theBatchLimit() throws {
        let fifty = (1...50).map(String.init).joined(separator: ",")
        #expect(try ids(#"{"participantIds":[\#(fifty)]}"#).count == 50)
        refuses(#"{"participantIds":[\#(fifty),51]}"#, "A batch holds at most 50 participants.")
        refuses(#"{"participantIds":[1,2,3]}"#, "A batch holds at most 2 participants.", maxBatch: 2)
    }

    @Test(arguments: [
        #"{}"#, #"{"participantIds":null}"#, #"{"participantIds":7}"#, #"{"participantIds":"1,2"}"#, #"{"participantIds":{"0":1}}"#,
        #"{"participantIds":[0]}"#, #"{"participantIds":[-4]}"#, #"{"participantIds":[1.5]}"#, #"{"participantIds":[1.0]}"#,
        #"{"participantIds":["1"]}"#, #"{"participantIds":[null]}"#, #"{"participantIds":[[1]]}"#, #"{"participantIds":[1,true]}"#,
    ])
    func idsMustBePositiveIntegers(_ text: String) {
        refuses(text, "participantIds must be an array of participant ids.")
    }

    @Test func theOtherRules() {
        refuses(#"{"participantIds":[]}"#, "participantIds must not be empty.")
        refuses(#"{"participantIds":[4,5,4]}"#, "participantIds must be distinct.")
        refuses(#"{"participantIds":[1],"force":true}"#, "The request body has an unknown field.")
        // The unknown member is named before the list is looked at; the count before the items.
        refuses(#"{"ids":[1]}"#, "The request body has an unknown field.")
        refuses(#"{"participantIds":[0,0,0]}"#, "A batch holds at most 2 participants.", maxBatch: 2)
        refuses(#"{"participantIds":[0,1,1]}"#, "participantIds must be an array of participant ids.")
    }

    /// `Enricher.budgetJSON`'s shape.
    func spending(day: Int64, dayLimit: Int64, month: Int64, monthLimit: Int64) -> JSON {
        [
            "day": ["periodStart": "2026-03-01", "spentCents": .int(day), "limitCents": .int(dayLimit)],
            "month": ["periodStart": "2026-03-01", "spentCents": .int(month), "limitCents": .int(monthLimit)],
        ]
    }

    @Test func aCallMustFitBothPeriods() {
        #expect(EnrichmentRoutes.canPay(10, from: spending(day: 0, dayLimit: 5000, month: 0, monthLimit: 100_000)))
        // Exactly the limit is still within it.
        #expect(EnrichmentRoutes.canPay(10, from: spending(day: 4990, dayLimit: 5000, month: 99_990, monthLimit: 100_000)))
        #expect(!EnrichmentRoutes.canPay(10, from: spending(day: 4991, dayLimit: 5000, month: 0, monthLimit: 100_000)))
        #expect(!EnrichmentRoutes.canPay(10, from: spending(day: 0, dayLimit: 5000, month: 99_991, monthLimit: 100_000)))
        #expect(!EnrichmentRoutes.canPay(1, from: spending(day: 0, dayLimit: 0, month: 0, monthLimit: 100_000)))
        #expect(EnrichmentRoutes.canPay(0, from: spending(day: 0, dayLimit: 0, month: 0, monthLimit: 0)))
    }

    @Test func aPeriodWithoutFiguresDoesNotRefuse() {
        #expect(EnrichmentRoutes.canPay(10, from: [:]))
        #expect(EnrichmentRoutes.canPay(10, from: ["day": ["spentCents": 4995], "month": ["limitCents": 0]]))
        #expect(!EnrichmentRoutes.canPay(10, from: ["day": ["spentCents": 4995, "limitCents": 5000]]))
    }
}
