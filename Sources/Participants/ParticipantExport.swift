internal import LambdaRuntime
public import Middleware
internal import Postgres
internal import WardenJSON

/// `GET /api/participants/export[?cursor=…]`: the caller's organization's participants as NDJSON, in id order, then
/// one final line. An export that fits in one response (`EXPORT_RESPONSE_BUDGET_BYTES`, and the invocation's time)
/// ends with `{"exportComplete":true,"participants":N}`; a larger one ends, at a row boundary, with
/// `{"exportComplete":false,"participants":N,"nextCursor":"…"}`, and `?cursor=` that value continues it after the
/// last row sent. `N` counts the participant lines of this response. A response without a final line was cut short.
public enum ParticipantExport {
    /// `Content-Type` of the export.
    static let contentType = "application/x-ndjson"
    static let invalidCursor = EnvelopeError(.invalidInput, "The cursor is not valid.")

    /// Validates the cursor, reads the first page in the route's session (with the tenant's rate limit, before
    /// anything is sent: a failure here is still a status and an envelope), then hands the rest to the stream.
    public static func start(_ call: RouteRequest, settings: ExportSettings) throws -> RouteResponse {
        var after: Int64 = 0
        if let text = call.request.queryParameters["cursor"] {
            guard let id = ExportCursor.decode(text) else { throw invalidCursor }
            after = id
        }
        let pageSize = Int64(settings.pageSize)
        let first = try call.session.query(ParticipantSQL.exportPage, [.int(after), .int(pageSize)])
        let context = call.context
        let stream = ExportStream(
            first: first.rows, after: after, settings: settings,
            readPage: { last in
                try call.sessions.withSession { session in try session.query(ParticipantSQL.exportPage, [.int(last), .int(pageSize)]).rows }
            },
            remainingMilliseconds: { context.remainingMilliseconds }
        )
        return .stream(stream)
    }
}

/// The export's body: the rows of each page as JSON lines (one chunk per page at most), pages read lazily as the
/// runtime asks for the next chunk, each in its own tenant session; then the final line. The response stops early,
/// at a row boundary, when the next row would take the body past the byte budget (keeping room for the final line),
/// or when too little of the invocation's time is left to read another page; its final line then carries the
/// cursor to continue with. Every response carries at least one row unless the export is complete, so following
/// the cursors always ends. A page that cannot be read (database error, deadline) throws: the stream ends with the
/// error trailers and without a final line.
struct ExportStream: ResponseStream {
    /// Room kept for the final line: `{"exportComplete":false,"participants":N,"nextCursor":"…"}\n` with a 19-digit
    /// count and the longest cursor (35 characters) is 111 bytes.
    static let finalLineReserve = 128

    private var page: [[String?]]?
    private let settings: ExportSettings
    private let readPage: (Int64) throws -> [[String?]]
    private let remainingMilliseconds: () -> Int64
    private var lastID: Int64
    private var count = 0
    private var sentBytes = 0
    private var exhausted = false
    private var budgetReached = false
    private var finished = false

    /// `first`: the first page (rows with an id above `after`), already read; `readPage`: the page of rows with an
    /// id above its argument; `remainingMilliseconds`: what is left of the invocation's time.
    init(
        first: [[String?]], after: Int64, settings: ExportSettings, readPage: @escaping (Int64) throws -> [[String?]],
        remainingMilliseconds: @escaping () -> Int64
    ) {
        page = first
        lastID = after
        self.settings = settings
        self.readPage = readPage
        self.remainingMilliseconds = remainingMilliseconds
    }

    var contentType: String { ParticipantExport.contentType }

    mutating func next() throws -> [UInt8]? {
        while !finished {
            if let rows = page {
                page = nil
                if rows.count < settings.pageSize { exhausted = true }
                let chunk = try lines(rows)
                if !chunk.isEmpty { return chunk }
                continue
            }
            // Stop for the budget (rows of the page may be left: the continuation reads them again), else at the
            // end, else when another page might not be read and sent before the deadline. `count` is never 0 then:
            // an export's first page is read before the stream begins, and only an empty one (the export is
            // complete) carries no row.
            if budgetReached { return finalLine(complete: false) }
            if exhausted { return finalLine(complete: true) }
            if remainingMilliseconds() < settings.timeReserveMilliseconds { return finalLine(complete: false) }
            page = try readPage(lastID)
        }
        return nil
    }

    /// The rows as JSON lines, as many as the budget allows (the response's first row always). Ids must rise (the
    /// keyset); anything else is a broken page, not a row to skip.
    private mutating func lines(_ rows: [[String?]]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(min(rows.count * 512, settings.responseBudgetBytes))
        var line = JSONWriter(capacity: 1024)
        for row in rows {
            guard let text = row.first ?? nil, let id = Int64(text), id > lastID else { throw ExportError.unorderedPage }
            line.reset()
            line.value(ParticipantRow.json(row))
            let size = line.bytes.count + 1
            if count > 0, sentBytes + out.count + size + Self.finalLineReserve > settings.responseBudgetBytes {
                budgetReached = true
                break
            }
            lastID = id
            out += line.bytes
            out.append(0x0A)
            count += 1
        }
        sentBytes += out.count
        return out
    }

    /// The last line: complete, or the cursor after the last row sent.
    private mutating func finalLine(complete: Bool) -> [UInt8] {
        finished = true
        var summary = JSONWriter(capacity: Self.finalLineReserve)
        summary.beginObject()
        summary.key("exportComplete")
        summary.bool(complete)
        summary.key("participants")
        summary.int(count)
        if !complete {
            summary.key("nextCursor")
            summary.string(ExportCursor.encode(after: lastID))
        }
        summary.endObject()
        return summary.bytes + [0x0A]
    }
}

/// A page that breaks the keyset order (never expected: the statement orders by id).
enum ExportError: Error {
    case unorderedPage
}
