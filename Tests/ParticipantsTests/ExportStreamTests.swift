import Testing
import WardenJSON

@testable import Participants

/// The export's body: rows as NDJSON lines page by page, then a final line — complete, or with the cursor that
/// continues after the last row sent when the byte budget or the time runs out.
@Suite struct ExportStreamTests {
    /// Participant `id` as its statement returns it (every row of the same size while ids have the same length).
    static func row(_ id: Int64) -> [String?] {
        [
            String(id), "org_1", "m-1", "Weekly", "2026-03-01T09:00:00.000Z", "zoom", "p\(id)@example.com", "P", "accepted", "f",
            "f", nil, "pending", nil, nil, "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z",
        ]
    }

    /// The NDJSON line of participant `id`.
    static func line(_ id: Int64) -> [UInt8] { ParticipantRow.json(row(id)).serialized() + [0x0A] }

    static func finalLine(complete: Bool, participants: Int, after id: Int64? = nil) -> [UInt8] {
        var text = #"{"exportComplete":\#(complete),"participants":\#(participants)"#
        if let id { text += #","nextCursor":"\#(ExportCursor.encode(after: id))""# }
        return Array((text + "}\n").utf8)
    }

    /// Pages by the id they continue after, recording what was asked.
    final class Pages {
        var pages: [Int64: [[String?]]]
        var asked: [Int64] = []
        init(_ pages: [Int64: [[String?]]]) { self.pages = pages }
        func read(_ after: Int64) throws -> [[String?]] {
            asked.append(after)
            return pages[after] ?? []
        }
    }

    /// Every chunk the stream sends, to its end.
    static func drain(_ stream: inout ExportStream) throws -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        while let chunk = try stream.next() { chunks.append(chunk) }
        return chunks
    }

    static func settings(pageSize: Int, budget: Int = 16 * 1024 * 1024, reserve: Int64 = 5000) -> ExportSettings {
        ExportSettings(pageSize: pageSize, responseBudgetBytes: budget, timeReserveMilliseconds: reserve)
    }

    @Test func anEmptyExportIsItsFinalLine() throws {
        let pages = Pages([:])
        var stream = ExportStream(first: [], after: 0, settings: Self.settings(pageSize: 500), readPage: pages.read, remainingMilliseconds: { 60_000 })
        #expect(try Self.drain(&stream) == [Self.finalLine(complete: true, participants: 0)])
        #expect(pages.asked.isEmpty)
        #expect(stream.contentType == "application/x-ndjson")
    }

    @Test func pagesAreReadUntilAShortOne() throws {
        let pages = Pages([2: [Self.row(3), Self.row(4)], 4: [Self.row(7)]])
        var stream = ExportStream(
            first: [Self.row(1), Self.row(2)], after: 0, settings: Self.settings(pageSize: 2), readPage: pages.read, remainingMilliseconds: { 60_000 })
        let chunks = try Self.drain(&stream)
        #expect(chunks.count == 4)  // one chunk per page, then the final line
        #expect(chunks[0] == Self.line(1) + Self.line(2))
        #expect(chunks[1] == Self.line(3) + Self.line(4))
        #expect(chunks[2] == Self.line(7))
        #expect(chunks[3] == Self.finalLine(complete: true, participants: 5))
        #expect(pages.asked == [2, 4])
        #expect(try stream.next() == nil)
    }

    @Test func aFullLastPageEndsWithAnEmptyOne() throws {
        let pages = Pages([:])
        var stream = ExportStream(
            first: [Self.row(1), Self.row(2)], after: 0, settings: Self.settings(pageSize: 2), readPage: pages.read, remainingMilliseconds: { 60_000 })
        #expect(try Self.drain(&stream) == [Self.line(1) + Self.line(2), Self.finalLine(complete: true, participants: 2)])
        #expect(pages.asked == [2])
    }

    @Test func theBudgetStopsAtARowBoundaryWithACursor() throws {
        // Room for two lines and the final line's reserve: the third row is left for the continuation.
        let budget = 2 * Self.line(1).count + ExportStream.finalLineReserve
        let pages = Pages([:])
        var stream = ExportStream(
            first: [Self.row(1), Self.row(2), Self.row(3)], after: 0, settings: Self.settings(pageSize: 10, budget: budget),
            readPage: pages.read, remainingMilliseconds: { 60_000 })
        let chunks = try Self.drain(&stream)
        #expect(chunks == [Self.line(1) + Self.line(2), Self.finalLine(complete: false, participants: 2, after: 2)])
        #expect(chunks.reduce(0) { $0 + $1.count } <= budget)
        #expect(pages.asked.isEmpty)

        // The cursor continues after the last row sent.
        let cursor = ExportCursor.encode(after: 2)
        let after = try #require(ExportCursor.decode(cursor))
        var next = ExportStream(
            first: [Self.row(3)], after: after, settings: Self.settings(pageSize: 10, budget: budget), readPage: pages.read,
            remainingMilliseconds: { 60_000 })
        #expect(try Self.drain(&next) == [Self.line(3), Self.finalLine(complete: true, participants: 1)])
    }

    @Test func theFirstRowGoesBeyondTheBudget() throws {
        // Every response makes progress.
        var stream = ExportStream(
            first: [Self.row(1), Self.row(2)], after: 0, settings: Self.settings(pageSize: 10, budget: 10), readPage: Pages([:]).read,
            remainingMilliseconds: { 60_000 })
        #expect(try Self.drain(&stream) == [Self.line(1), Self.finalLine(complete: false, participants: 1, after: 1)])
    }

    @Test func noFurtherPageWhenTimeRunsLow() throws {
        let pages = Pages([2: [Self.row(3)]])
        var remaining: Int64 = 60_000
        var stream = ExportStream(
            first: [Self.row(1), Self.row(2)], after: 0, settings: Self.settings(pageSize: 2, reserve: 5000), readPage: pages.read,
            remainingMilliseconds: { remaining })
        #expect(try stream.next() == Self.line(1) + Self.line(2))
        remaining = 4999
        #expect(try stream.next() == Self.finalLine(complete: false, participants: 2, after: 2))
        #expect(try stream.next() == nil)
        #expect(pages.asked.isEmpty)
    }

    @Test func aContinuationCountsItsOwnLines() throws {
        var stream = ExportStream(
            first: [Self.row(501), Self.row(502)], after: 500, settings: Self.settings(pageSize: 500), readPage: Pages([:]).read,
            remainingMilliseconds: { 60_000 })
        #expect(try Self.drain(&stream).last == Self.finalLine(complete: true, participants: 2))
    }

    @Test(arguments: [
        [[String?]]([row(2), row(1)]),  // descending
        [row(1), row(1)],  // repeated
        [["x"]],  // no id
        [[nil]],
        [[]],
    ])
    func aPageOutOfKeysetOrderFails(_ first: [[String?]]) {
        var stream = ExportStream(first: first, after: 0, settings: Self.settings(pageSize: 10), readPage: Pages([:]).read, remainingMilliseconds: { 60_000 })
        #expect(throws: ExportError.unorderedPage) { _ = try Self.drain(&stream) }
    }

    @Test func aRowAtOrBelowTheCursorFails() {
        var stream = ExportStream(
            first: [Self.row(7)], after: 7, settings: Self.settings(pageSize: 10), readPage: Pages([:]).read, remainingMilliseconds: { 60_000 })
        #expect(throws: ExportError.unorderedPage) { _ = try stream.next() }
    }
}
